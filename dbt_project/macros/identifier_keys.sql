{#-
    Identifier keys in SQL: the forms of core/identifiers.py that staging models key
    touchpoints by, so a touchpoint joins the identity record built from the same row.
    tests/profiles_dbt/test_identifier_key_macros.py runs each macro over the Python form's
    table of examples (EMAIL_TYPED_EXAMPLES, PHONE_DIGITS_EXAMPLES) and compares.
-#}

{#- E-mail as typed (core.identifiers.email_typed_sql): the e-mail subscriber's source key. -#}
{% macro email_typed(expression) -%}
    nullif(lower(trim({{ expression }})), '')
{%- endmacro %}

{#- Phone digits (core.identifiers.phone_digits_sql): the SMS recipient's source key. -#}
{% macro phone_digits(expression) -%}
    nullif({{ regexp_replace_all(expression, "'[^0-9]'", "''") }}, '')
{%- endmacro %}
