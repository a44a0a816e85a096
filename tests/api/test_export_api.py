"""GET /api/v1/generations.csv over HTTP with a real key: every row, the right totals, the list's filters."""

import csv
import io
import random
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import func, select

from api import exports as api_exports
from services import db
from services.catalog import get_catalog
from services.models import Generation
from services.money import MICROS
from services.usage import export_slices, exports


def _offers():
    """Offers of a few models, some sharing a provider or a region with another."""
    offers, models = [], set()
    for offer in get_catalog().offers:
        if offer.model not in models:
            offers.append(offer)
            models.add(offer.model)
    return offers[:3] + offers[8:10] + offers[11:13]


async def _record(api, headers, offers, rng, start, count, tag):
    items = []
    for i in range(count):
        offer = rng.choice(offers)
        moment = start + timedelta(minutes=rng.randrange(60 * 24 * 89), microseconds=rng.randrange(10**6))
        items.append(
            {
                'model': offer.model,
                'provider': offer.provider,
                'region': offer.region,
                'prompt_tokens': rng.randrange(1, 5000),
                'completion_tokens': rng.randrange(0, 2000),
                'created_at': moment.isoformat(),
                'status': rng.choice(['completed', 'completed', 'failed']),
                **({'external_id': rng.choice(['=', '+', '-', 'ext-']) + f'{tag}{i}'} if rng.random() < 0.3 else {}),
                **({'latency_ms': rng.randrange(100, 60_000)} if rng.random() < 0.8 else {}),
            }
        )
    response = await api.post('/api/v1/generations/batch', json={'generations': items}, headers=headers)
    assert response.status_code == 201, response.text


def _expected(**where):
    query = select(func.count(), func.coalesce(func.sum(Generation.cost_micros), 0)).select_from(Generation)
    for name, value in where.items():
        if name == 'since':
            query = query.where(Generation.created_at >= value)
        elif name == 'until':
            query = query.where(Generation.created_at < value)
        else:
            query = query.where(getattr(Generation, name) == value)
    with db.session_scope() as session:
        return tuple(session.exec(query).one())


def _totals(text: str) -> tuple[list[dict], int, int]:
    rows = list(csv.DictReader(io.StringIO(text)))
    cost = sum(Decimal(r['cost']) for r in rows) * MICROS  # costs of ingested generations are never negative
    return rows, len(rows), int(cost)


async def test_the_export_holds_every_row_with_the_database_totals_and_filters(api, make_key, monkeypatch):
    monkeypatch.setattr(exports, 'PAGE_ROWS', 97)  # many pages, as a big export has
    offers, rng = _offers(), random.Random(5)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=89, hours=12)  # the API takes 90 days back
    for tag in ('a', 'b'):
        await _record(api, make_key('ingest'), offers, rng, start, 700, tag)
    read = make_key('read')

    response = await api.get('/api/v1/generations.csv', headers=read | {'Accept-Encoding': 'identity'})
    assert response.status_code == 200 and response.headers['content-type'].startswith('text/csv')
    assert 'content-encoding' not in response.headers
    rows, count, cost = _totals(response.text)
    assert (count, cost) == _expected() and count == 1400
    assert len({r['id'] for r in rows}) == count
    assert [r['created_at_utc'] for r in rows] == sorted((r['created_at_utc'] for r in rows), reverse=True)
    assert all(r['external_id'][:1] in ('', "'", 'e') for r in rows)  # formulas get their apostrophe

    zipped = await api.get('/api/v1/generations.csv', headers=read | {'Accept-Encoding': 'gzip'})
    assert zipped.headers['content-encoding'] == 'gzip' and zipped.text == response.text

    key_id = int(rows[0]['key_id'])
    since, until = start + timedelta(days=20), start + timedelta(days=50)
    cases = [
        ({'model': offers[1].model}, {'model': offers[1].model}),
        ({'provider': offers[3].provider}, {'provider': offers[3].provider}),
        ({'region': offers[5].region}, {'region': offers[5].region}),
        ({'key': key_id}, {'api_key_id': key_id}),
        ({'from': since.isoformat(), 'to': until.isoformat()}, {'since': since, 'until': until}),
        (
            {'model': offers[0].model, 'key': key_id, 'from': since.isoformat()},
            {'model': offers[0].model, 'api_key_id': key_id, 'since': since},
        ),
        ({'model': 'nobody/none'}, {'model': 'nobody/none'}),
    ]
    for params, where in cases:
        response = await api.get('/api/v1/generations.csv', params=params, headers=read)
        assert response.status_code == 200, response.text
        rows, count, cost = _totals(response.text)
        assert (count, cost) == _expected(**where), params
        assert count > 0 or params == {'model': 'nobody/none'}
        for name, column in (('model', 'model'), ('provider', 'provider'), ('region', 'region'), ('key', 'key_id')):
            if name in params:
                assert {r[column] for r in rows} <= {str(params[name])}, params
        if 'from' in params:
            assert all(r['created_at_utc'] >= since.isoformat() for r in rows)


async def test_a_large_export_read_by_helper_processes_is_the_same_text(api, make_key, monkeypatch):
    """Above two slices of the rollups' counts, helper processes read the export a slice of time each: over
    HTTP, plain and gzip, the text is the one the app's own process writes, with every filter."""
    monkeypatch.setattr(exports, 'PAGE_ROWS', 61)
    monkeypatch.setattr(export_slices, 'SLICE_ROWS', 90)  # 1 400 rows: about 15 slices of 1 or 2 pages
    monkeypatch.setattr(export_slices, 'worker_count', lambda: 2)
    offers, rng = _offers(), random.Random(8)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=89, hours=12)
    for tag in ('a', 'b'):
        await _record(api, make_key('ingest'), offers, rng, start, 700, tag)
    read = make_key('read')
    since = start + timedelta(days=30, minutes=7)
    for params in ({}, {'model': offers[0].model}, {'from': since.isoformat(), 'status': 'completed'}):
        helped = await api.get('/api/v1/generations.csv', params=params, headers=read | {'Accept-Encoding': 'gzip'})
        assert helped.status_code == 200 and helped.headers['content-encoding'] == 'gzip'
        with monkeypatch.context() as m:
            m.setattr(export_slices, 'plan', lambda *_: None)  # the same export read in the app's process
            alone = await api.get('/api/v1/generations.csv', params=params, headers=read)
        assert helped.text == alone.text, params
        rows, count, cost = _totals(helped.text)
        where = {'model': params['model']} if 'model' in params else {}
        if 'from' in params:
            where = {'since': since, 'status': 'completed'}
        assert (count, cost) == _expected(**where) and count > 2 * 90, params
    assert export_slices._pool().started  # the helpers did the reading


async def test_the_export_needs_the_read_scope(api, make_key):
    assert (await api.get('/api/v1/generations.csv')).status_code == 401
    assert (await api.get('/api/v1/generations.csv', headers=make_key('ingest'))).status_code == 403


async def test_a_download_left_early_ends_the_export_after_the_chunk_in_the_making():
    events = []

    def chunks():
        try:
            for i in range(5):
                events.append(f'made {i}')
                yield f'chunk {i}'
        finally:
            events.append('closed')

    made = api_exports._made_ahead(chunks())
    assert await anext(made) == 'chunk 0'
    await made.aclose()  # the client has gone
    assert events == ['made 0', 'made 1', 'closed']

    zipped = api_exports._gzipped(api_exports._made_ahead(iter_chunks := chunks()))
    events.clear()
    body = await anext(zipped)
    await zipped.aclose()
    assert zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body) == b'chunk 0'  # flushed: readable at once
    assert events[-1] == 'closed'
    assert iter_chunks.gi_frame is None  # finished
