"""dbt's cross-database macros as sqlfluff's jinja templater sees them.

sqlfluff lints the models with its jinja templater (the dbt templater cannot install offline);
these stand-ins render each macro to plausible DuckDB SQL so the linter parses the model.
They are never used to build anything: dbt renders the real macros.
"""


def concat(fields):
    return "concat(" + ", ".join(fields) + ")"


def dateadd(datepart, interval, from_date_or_timestamp):
    # sqlfluff's `var()` stand-in returns text, so `-1 * var(...)` renders as ''.
    interval = interval if str(interval) else "1"
    return f"({from_date_or_timestamp} + ({interval}) * interval '1 {datepart}')"


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def listagg(measure, delimiter_text="','", order_by_clause=None, limit_num=None):
    return f"string_agg({measure}, {delimiter_text})"


def split_part(string_text, delimiter_text, part_number):
    return f"split_part({string_text}, {delimiter_text}, {part_number})"


def cast(field, type):  # noqa: A002 (dbt's argument name)
    return f"cast({field} as {type})"


def type_string():
    return "varchar"
