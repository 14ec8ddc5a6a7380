"""The profile and identity API, and the stewards' console, over the published snapshot.

`cdp serve` runs :func:`api.app.create_app` with uvicorn. Every request reads the
read-only snapshot the pipeline publishes after each profiles run (``core.snapshot``), never
the writer's warehouse, and says which run it saw (``run_id``, ``as_of``).
"""
