"""The lake's data files on S3-compatible object storage (httpfs), against an S3 server on loopback."""

from __future__ import annotations

import boto3
import pytest
from moto.server import ThreadedMotoServer

from catalog import TRANSACTIONS
from settings import Settings
from tests.warehouse.frames import frame, period_slice, transaction
from tests.warehouse.workers import CONSISTENCY_SQL, books, inconsistencies
from warehouse import LakeSettings, Warehouse
from warehouse.access import read_only_connection
from warehouse.store import close_all


@pytest.fixture
def s3(monkeypatch):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for key, value in {"AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret",
                       "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": endpoint}.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1")
    client.create_bucket(Bucket="books", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    yield client
    close_all()
    server.stop()


def test_data_files_on_object_storage(s3, tmp_path):
    settings = Settings.from_environment({"AFAS_DATA_DIR": str(tmp_path), "AFAS_WAREHOUSE": f"sqlite:{tmp_path}/catalog.sqlite",
                                         "AFAS_WAREHOUSE_DATA": "s3://books/afas-lake"}).lake()
    assert settings.is_object_storage
    wh = Warehouse(LakeSettings(**{**settings.__dict__, "inline_row_limit": 0}))  # real Parquet files, not inlined
    wh.replace_slices(books(1, 1, 0))
    rows = [transaction(1, 2025, 3, i, 1, "8000", "1.00", "0.00") for i in range(50)]
    wh.replace_slice(TRANSACTIONS, period_slice(period=3), frame(TRANSACTIONS, rows))
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="books", Prefix="afas-lake/")["Contents"]]
    assert any("transactions" in k and k.endswith(".parquet") for k in keys)
    assert not list(tmp_path.rglob("*.parquet"))  # nothing landed locally
    con = read_only_connection(settings)
    try:
        assert con.execute("SELECT count(*) FROM transactions WHERE period = 3").fetchone() == (50,)
        period_1 = [r for r in con.execute(CONSISTENCY_SQL).fetchall() if r[1] == 1]
        assert len(period_1) == 1 and inconsistencies(period_1) == []  # the books committed whole
    finally:
        con.close()
