"""The roof: the `cdp` CLI, the pipeline the DAGs and the demo run, the Airflow runner and
the orchestration config, the readers' snapshot CLI and `cdp sql`. Nothing below imports it."""
