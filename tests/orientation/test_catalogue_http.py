"""The HTTP campus source against a real local server speaking the Opendatasoft
Explore v2.1 records format: paging, retries, timeouts, junk, cache TTL, fallbacks."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from orientation.catalogue import load_catalogue, read_rows
from orientation.sources import fetch_records, load_remote_records, load_source_settings

LANNION_ID = "bretagne-numerique-photonique"
NEW_CAMPUS = {
    "id": "bretagne-campus-de-test",
    "name": "Campus de test",
    "sector": "food_agrifood",
    "sector_inferred": "no",
    "region": "Bretagne",
    "academie": "Rennes",
    "town": "Quimper",
    "insee_code": "29232",
    "excellence": False,
    "source_url": "https://example.org/campus-de-test",
}
JUNK = [
    {"id": "bretagne-sans-source", "name": "Sans source", "sector": "food_agrifood", "region": "Bretagne"},
    {
        "id": "bretagne-sans-secteur",
        "name": "Sans secteur",
        "region": "Bretagne",
        "source_url": "https://example.org/x",
    },
    {**NEW_CAMPUS, "id": "bretagne-secteur-inconnu", "sector": "astrologie"},
    {**NEW_CAMPUS, "id": "bretagne-ville-inconnue", "insee_code": "", "town": "Atlantis"},
    "not a record",
]


class Source:
    """State shared with the request handler: records served, failures, requests seen."""

    def __init__(self):
        self.records = []
        self.failures_left = 0
        self.down = False
        self.requests = []
        self.lock = threading.Lock()


def make_handler(source):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def do_GET(self):
            url = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            with source.lock:
                source.requests.append((url.path, params))
                failing = source.down or source.failures_left > 0
                source.failures_left = max(source.failures_left - 1, 0)
            kind = url.path.strip("/").split("/")[0]
            if kind == "error" or (kind == "ok" and failing):
                return self.reply(500, b'{"error": "internal"}')
            if kind == "slow":
                time.sleep(1.5)
            if kind == "malformed":
                return self.reply(200, b'{"total_count": 3, "results": [{"id": ')
            if kind == "shape":
                return self.reply(200, b'["a", "list", "instead", "of", "a", "page"]')
            offset, limit = int(params.get("offset", 0)), int(params.get("limit", 10))
            page = {"total_count": len(source.records), "results": source.records[offset : offset + limit]}
            self.reply(200, json.dumps(page).encode("utf-8"))

        def reply(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture()
def source():
    state = Source()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def settings(source, kind, tmp_path, **overrides):
    values = {
        "url": f"{source.base}/{kind}/api/explore/v2.1/catalog/datasets/cmq/records",
        "timeout_seconds": 1,
        "retries": 0,
        "cache_ttl_hours": 24,
        "cache_dir": str(tmp_path / "cache"),
    }
    return {**values, **overrides}


def embedded_count():
    return len(read_rows())


def lannion_update():
    row = dict(next(r for r in read_rows() if r["id"] == LANNION_ID))
    return {**row, "website": "https://example.org/numerique-photonique", "_id": "ods-1"}


def test_fetch_pages_through_every_record(source, tmp_path):
    source.records = [{"id": f"r{i}"} for i in range(5)]
    url = settings(source, "ok", tmp_path)["url"]
    assert [r["id"] for r in fetch_records(url, 1, 0, page_size=2)] == ["r0", "r1", "r2", "r3", "r4"]
    assert [(p["offset"], p["limit"]) for _, p in source.requests] == [("0", "2"), ("2", "2"), ("4", "2")]


def test_fetch_asks_100_records_a_page_and_keeps_other_parameters(source, tmp_path):
    source.records = [{"id": "r0"}]
    url = settings(source, "ok", tmp_path)["url"] + "?limit=20&offset=40&where=region%3D%22Bretagne%22"
    fetch_records(url, 1, 0)
    assert source.requests[0][1] == {"limit": "100", "offset": "0", "where": 'region="Bretagne"'}


def test_source_updates_adds_and_skips_junk(source, tmp_path, caplog):
    source.records = [lannion_update(), NEW_CAMPUS] + JUNK
    catalogue = load_catalogue(settings(source, "ok", tmp_path))
    assert len(catalogue) == embedded_count() + 1
    assert catalogue.by_id(LANNION_ID).website == "https://example.org/numerique-photonique"
    added = catalogue.by_id("bretagne-campus-de-test")
    assert (added.town, added.lat is not None, added.excellence) == ("Quimper", True, False)
    for junk in JUNK[:4]:
        assert catalogue.by_id(junk["id"]) is None
    assert "5 record(s) skipped" in caplog.text


@pytest.mark.parametrize("kind", ["error", "slow", "malformed", "shape"])
def test_failing_source_keeps_the_embedded_catalogue(source, tmp_path, caplog, kind):
    started = time.monotonic()
    catalogue = load_catalogue(settings(source, kind, tmp_path, timeout_seconds=0.3))
    assert len(catalogue) == embedded_count()
    assert catalogue.by_id(LANNION_ID).website != "https://example.org/numerique-photonique"
    assert "embedded catalogue only" in caplog.text
    assert time.monotonic() - started < 5


def test_source_that_is_down_keeps_the_embedded_catalogue(tmp_path, caplog):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    values = {
        "url": f"http://127.0.0.1:{port}/records",
        "timeout_seconds": 0.5,
        "retries": 1,
        "cache_dir": str(tmp_path),
    }
    assert len(load_catalogue(values)) == embedded_count()
    assert "embedded catalogue only" in caplog.text


def test_server_errors_are_retried_with_backoff(source, tmp_path):
    source.records = [NEW_CAMPUS]
    source.failures_left = 2
    started = time.monotonic()
    remote = load_remote_records(settings(source, "ok", tmp_path, retries=2))
    assert remote.origin == "network" and remote.records == [NEW_CAMPUS]
    assert len(source.requests) == 3
    assert time.monotonic() - started >= 0.5  # waited between attempts


def test_retries_give_up_after_the_configured_count(source, tmp_path):
    assert load_remote_records(settings(source, "error", tmp_path, retries=1)) is None
    assert len(source.requests) == 2


def test_cache_is_used_while_fresh_then_refreshed(source, tmp_path):
    source.records = [NEW_CAMPUS]
    values = settings(source, "ok", tmp_path, cache_ttl_hours=24)
    start = 1_700_000_000.0
    assert load_remote_records(values, now=start).origin == "network"
    assert len(source.requests) == 1
    assert load_remote_records(values, now=start + 23 * 3600).origin == "cache"
    assert len(source.requests) == 1  # no request while the cache is fresh
    source.records = [NEW_CAMPUS, {**NEW_CAMPUS, "id": "bretagne-autre-campus"}]
    refreshed = load_remote_records(values, now=start + 25 * 3600)
    assert refreshed.origin == "network" and len(refreshed.records) == 2
    assert len(source.requests) == 2


def test_stale_cache_is_served_when_the_source_is_down(source, tmp_path, caplog):
    source.records = [NEW_CAMPUS]
    values = settings(source, "ok", tmp_path, cache_ttl_hours=1)
    start = 1_700_000_000.0
    load_remote_records(values, now=start)
    source.down = True
    stale = load_remote_records(values, now=start + 48 * 3600)
    assert stale.origin == "stale-cache" and stale.records == [NEW_CAMPUS]
    assert "using the cache" in caplog.text


def test_corrupt_cache_is_ignored(source, tmp_path, caplog):
    source.records = [NEW_CAMPUS]
    values = settings(source, "ok", tmp_path)
    load_remote_records(values)
    cache_files = list((tmp_path / "cache").glob("*.json"))
    assert len(cache_files) == 1
    cache_files[0].write_text("{half a file", encoding="utf-8")
    assert load_remote_records(values).origin == "network"
    assert "unreadable" in caplog.text


def test_no_url_means_no_request(source, tmp_path):
    assert load_remote_records({"url": None, "cache_dir": str(tmp_path)}) is None
    assert source.requests == []


def test_source_settings_from_school_file(tmp_path):
    school = tmp_path / "school.yml"
    school.write_text("catalogue_source:\n  url: https://example.org/records\n  retries: 5\n", encoding="utf-8")
    values = load_source_settings(school)
    assert values["url"] == "https://example.org/records"
    assert (values["retries"], values["timeout_seconds"], values["cache_ttl_hours"]) == (5, 3, 24)
    assert load_source_settings(tmp_path / "missing.yml")["url"] is None
    broken = tmp_path / "broken.yml"
    broken.write_text("catalogue_source: [1, 2\n", encoding="utf-8")
    assert load_source_settings(broken)["url"] is None
