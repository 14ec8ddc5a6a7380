"""dbt's `adapter` as sqlfluff's jinja templater sees it: no relation exists yet."""


def get_relation(database=None, schema=None, identifier=None):
    return None


def dispatch(macro_name, macro_namespace=None):
    """A project macro's engine versions, as one plausible DuckDB call on its first argument."""

    def render(*args, **kwargs):
        return f"{macro_name}({args[0]})"

    return render
