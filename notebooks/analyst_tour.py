# /// script
# requires-python = ">=3.11"
# dependencies = ["marimo", "duckdb", "pandas", "altair"]
# ///
"""A guided tour of the demo warehouse for analysts: segments, one customer's timeline,
revenue by channel. `marimo edit notebooks/analyst_tour.py` to explore, `python
notebooks/analyst_tour.py` to run it top to bottom (the tests do, on a small warehouse)."""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import altair as alt
    import marimo as mo

    from core.settings import Settings
    from core.snapshot import open_snapshot, snapshot_path

    return Settings, alt, mo, open_snapshot, snapshot_path


@app.cell
def _(mo):
    mo.md(r"""
    # A tour of the customer warehouse

    `make demo` left a DuckDB warehouse whose `marts` schema is what analysts read:
    one row per customer in `marts.customer_profile`, their lifecycle segment in
    `marts.customer_segments`, every touchpoint in `marts.customer_timeline`. Each
    column is documented in `dbt_project/models/marts/_marts.yml` (and in DuckDB:
    `select * from duckdb_columns() where schema_name = 'marts'`).

    Every query below opens the published snapshot (the read-only copy the pipeline
    swaps in after each profiles build) and closes it again, so this notebook never holds
    up a pipeline run and always reads one whole run.
    """)
    return


@app.cell
def _(Settings, open_snapshot):
    settings = Settings()  # CDP_DATA_DIR chooses another warehouse

    def query(sql, parameters=None):
        """Run one query on the published snapshot and return a pandas DataFrame."""
        con = open_snapshot(settings)
        try:
            return con.execute(sql, parameters or []).df()
        finally:
            con.close()

    return query, settings


@app.cell
def _(mo, settings, snapshot_path):
    mo.md(f"Published snapshot: `{snapshot_path(settings)}`")
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 1. Who are the customers? Lifecycle segments

    Each identified customer is in exactly one segment; the rules (in order: prospect,
    dormant, at risk, VIP, new, loyal) are the `segment_rules` docs block of the dbt
    project. Revenue is net of line discounts, in EUR.
    """)
    return


@app.cell
def _(query):
    segments = query(
        """
        select
            s.segment,
            count(*) as customers,
            sum(p.lifetime_revenue)::double as lifetime_revenue,
            round(avg(p.order_count), 1) as average_orders
        from marts.customer_segments as s
        inner join marts.customer_profile as p
            on s.customer_id = p.customer_id
        group by s.segment
        order by lifetime_revenue desc
        """
    )
    segments
    return (segments,)


@app.cell
def _(alt, mo, segments):
    segments_chart = (
        alt.Chart(segments)
        .mark_bar()
        .encode(
            x=alt.X("customers:Q", title="customers"),
            y=alt.Y("segment:N", sort="-x", title=None),
            color=alt.Color("lifetime_revenue:Q", title="revenue (EUR)"),
            tooltip=["segment", "customers", "lifetime_revenue", "average_orders"],
        )
        .properties(title="Customers per segment, coloured by lifetime revenue", height=200)
    )
    mo.ui.altair_chart(segments_chart)
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 2. One customer, every touchpoint

    The customer seen in the most sources (then the biggest spender): identity
    resolution merged their till receipts, web account and cookies, newsletter
    subscription and call-center tickets into one `customer_id`.
    """)
    return


@app.cell
def _(query):
    customer = query(
        """
        select customer_id, first_name, last_name, email, sources_present,
               order_count, lifetime_revenue::double as lifetime_revenue
        from marts.customer_profile
        order by source_count desc, lifetime_revenue desc, customer_id
        limit 1
        """
    )
    customer_id = customer["customer_id"].iloc[0] if len(customer) else None
    customer
    return (customer_id,)


@app.cell
def _(customer_id, query):
    timeline = query(
        """
        select occurred_at, channel, event_type, amount::double as amount, detail
        from marts.customer_timeline
        where customer_id = ?
        order by occurred_at, touchpoint_id
        """,
        [customer_id],
    )
    timeline
    return (timeline,)


@app.cell
def _(alt, mo, timeline):
    timeline_chart = (
        alt.Chart(timeline)
        .mark_circle(size=90)
        .encode(
            x=alt.X("occurred_at:T", title=None),
            y=alt.Y("channel:N", title=None),
            color=alt.Color("event_type:N", title="event"),
            tooltip=["occurred_at:T", "channel", "event_type", "amount", "detail"],
        )
        .properties(title="The customer's touchpoints over time", height=180)
    )
    mo.ui.altair_chart(timeline_chart)
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 3. Where does revenue come from? Revenue by channel

    Orders are `purchase` touchpoints: receipts at the till (`store`) and e-shop
    purchases (`web`). E-mail is not a sales channel but a cause: the profile's
    `email_attributed_revenue` is the revenue of orders placed within the attribution
    window after an e-mail click (last click).
    """)
    return


@app.cell
def _(query):
    revenue_by_month = query(
        """
        select date_trunc('month', occurred_at) as month, channel,
               sum(amount)::double as revenue, count(*) as orders
        from marts.customer_timeline
        where event_type = 'purchase'
        group by all
        order by month, channel
        """
    )
    revenue_by_channel = query(
        """
        select channel, sum(amount)::double as revenue, count(*) as orders
        from marts.customer_timeline
        where event_type = 'purchase'
        group by channel
        union all
        select 'e-mail (attributed)', sum(email_attributed_revenue)::double, null
        from marts.customer_profile
        order by revenue desc
        """
    )
    revenue_by_channel
    return (revenue_by_month,)


@app.cell
def _(alt, mo, revenue_by_month):
    revenue_chart = (
        alt.Chart(revenue_by_month)
        .mark_area()
        .encode(
            x=alt.X("month:T", title=None),
            y=alt.Y("revenue:Q", stack=True, title="revenue (EUR)"),
            color=alt.Color("channel:N"),
            tooltip=["month:T", "channel", "revenue", "orders"],
        )
        .properties(title="Monthly revenue by channel", height=220)
    )
    mo.ui.altair_chart(revenue_chart)
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## Next

    - The three analyst queries: `cdp sql --file docs/analyst_queries.sql`
      (`--format csv` for a spreadsheet).
    - Why two records are one customer: `cdp identity explain <e-mail>`.
    - Consented audiences for campaigns: `cdp export audiences` (`config/exports.yml`).
    """)
    return


if __name__ == "__main__":
    app.run()
