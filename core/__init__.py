"""The ground every package stands on, importing nothing of the project.

Settings (`settings.py`), warehouse access and its helpers (`warehouse.py`), identifier keys
(`identifiers.py`) and countries (`countries.py`), erasure salts, keys and tombstones
(`erasure.py`), the readers' snapshot (`snapshot.py`) and the file rewrite after an erasure
(`compaction.py`), step runs (`step_runs.py`), logging and progress (`console.py`).
"""
