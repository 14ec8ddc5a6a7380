"""The Spark engine's properties come from settings: shuffle partitions follow the cores a
master is known to have, Splink's own options ride in CDP_SPARK_CONF without reaching Spark,
and a mistyped option is refused by name. (No JVM is started here.)"""

from __future__ import annotations

import pytest

from core.settings import Settings
from core.spark import SparkEngineError, session_conf, shuffle_partitions, splink_options


@pytest.mark.parametrize(
    ("master", "conf", "expected"),
    [
        ("local[1]", {}, "2"),
        ("local[3]", {}, "6"),
        ("local", {}, "2"),
        ("spark://10.0.0.5:7077", {}, "8"),  # a cluster's cores are not known here
        ("spark://10.0.0.5:7077", {"spark.cores.max": "32"}, "64"),
        ("local[2]", {"spark.sql.shuffle.partitions": "1"}, "1"),  # the installation wins
    ],
)
def test_shuffle_partitions_follow_the_known_cores(master, conf, expected):
    settings = Settings(spark_master=master, spark_conf=conf)
    assert shuffle_partitions(settings) == expected
    assert session_conf(settings)["spark.sql.shuffle.partitions"] == expected


def test_splink_options_come_from_the_spark_conf_and_stay_out_of_spark():
    settings = Settings(
        spark_conf={
            "splink.break_lineage_method": "persist",
            "splink.num_partitions_on_repartition": "16",
            "spark.executor.memory": "8g",
        }
    )

    assert splink_options(settings) == {
        "break_lineage_method": "persist",
        "num_partitions_on_repartition": 16,
    }
    conf = session_conf(settings)
    assert conf["spark.executor.memory"] == "8g"
    assert not [key for key in conf if key.startswith("splink.")]
    assert splink_options(Settings()) == {"break_lineage_method": "parquet"}


@pytest.mark.parametrize(
    ("conf", "named"),
    [
        ({"splink.break_lineage": "parquet"}, r"options \['splink.break_lineage'\]"),
        ({"splink.break_lineage_method": "delta"}, "'delta'"),
    ],
)
def test_a_mistyped_splink_option_is_refused_by_name(conf, named):
    with pytest.raises(SparkEngineError, match=named):
        splink_options(Settings(spark_conf=conf))


@pytest.mark.parametrize(
    ("master", "conf", "expected"),
    [
        ("local[2]", {}, "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"),
        ("spark://127.0.0.1:7077", {}, "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"),
        ("spark://10.0.0.5:7077", {}, None),  # a remote cluster keeps the JVM's defaults
        ("local[2]", {"spark.driver.extraJavaOptions": "-Xss4m"}, "-Xss4m"),  # theirs win
    ],
)
def test_jvms_on_this_machine_skip_the_optimising_compiler(master, conf, expected):
    built = session_conf(Settings(spark_master=master, spark_conf=conf))
    assert built.get("spark.driver.extraJavaOptions") == expected


def test_join_strategies_are_chosen_from_measured_sizes_unless_the_installation_says():
    # Parquet file sizes understate the hash tables built from them (docs/scale.md): joins
    # are broadcast only by adaptive execution, once a side's shuffle has measured it, and
    # hashed rather than sorted when every shuffled partition is small
    built = session_conf(Settings(spark_master="spark://10.0.0.5:7077"))
    assert built["spark.sql.autoBroadcastJoinThreshold"] == "-1"
    assert built["spark.sql.adaptive.autoBroadcastJoinThreshold"] == "10MB"
    assert built["spark.sql.adaptive.maxShuffledHashJoinLocalMapThreshold"] == "64MB"

    theirs = {"spark.sql.autoBroadcastJoinThreshold": "64MB"}
    built = session_conf(Settings(spark_master="local[2]", spark_conf=theirs))
    assert built["spark.sql.autoBroadcastJoinThreshold"] == "64MB"
