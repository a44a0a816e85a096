import csv
import shutil

import pytest
from ecologits.electricity_mix_repository import electricity_mixes

from services.catalog import DATA, catalog_problems, get_catalog, load_catalog
from services.eco.grid import DEFAULT_PUE, grid_factors, grid_rows


@pytest.mark.parametrize(
    ('region', 'intensity', 'zone'),
    [('ca-central-1', 30.51, 'CA-QC'), ('us-west-2', 119.76, 'US-NW-BPAT'), ('eu-west-1', 403.4, 'IE')],
)
def test_aws_regions_use_their_own_2024_grid(region, intensity, zone):
    f = grid_factors(get_catalog(), region, 'aws-bedrock')
    assert (f.intensity[1], f.basis, f.year, f.zone) == (intensity, 'region', 2024, zone)
    assert f.note == f'Grid of AWS {region} in 2024 (Electricity Maps zone {zone})'


def test_intensity_range_spans_the_years_kept():
    f = grid_factors(get_catalog(), 'ca-central-1', 'aws-bedrock')
    assert f.intensity == (28.22, 30.51, 30.51)  # 2022 28.22, 2023 30.51, 2024 30.51
    # europe-north1's 2019 row names zone AU-VIC, an error in the source: only FI years are kept, at most three
    assert grid_factors(get_catalog(), 'europe-north1', 'google-vertex').intensity == (39.32, 39.32, 132.69)


@pytest.mark.parametrize(('region', 'provider'), [('francecentral', 'azure-openai'), ('fr-par', 'scaleway')])
def test_paris_regions_take_the_french_zone(region, provider):
    f = grid_factors(get_catalog(), region, provider)
    assert (f.intensity, f.basis, f.year, f.zone) == ((16.3, 16.3, 91.23), 'zone', 2024, 'FR')
    assert 'as reported for Google Cloud europe-west9' in f.note
    assert {r['via'] for r in grid_rows() if r['region'] == region} == {'gcp:europe-west9'}
    fleet = get_catalog().providers[provider].pue
    assert f.pue == (fleet, fleet, fleet)  # another cloud's building: no region PUE


def test_other_zone_regions():
    catalog = get_catalog()
    expected = {'uksouth': ('GB', 105.94), 'japaneast': ('JP-TK', 452.85), 'generic-fin': ('FI', 39.32)}
    for region, (zone, intensity) in expected.items():
        f = grid_factors(catalog, region, None)
        assert (f.basis, f.zone, f.intensity[1]) == ('zone', zone, intensity), region


def test_region_without_data_falls_back_to_country_average():
    f = grid_factors(get_catalog(), 'generic-usa', 'together')
    assert (f.intensity, f.basis, f.zone) == ((384.4, 384.4, 384.4), 'country', None)
    assert f.note == 'No regional grid data for generic-usa: USA country average'
    assert f.pue == (1.1, 1.2, 1.4)  # together publishes no PUE: the typical range around the assumption


def test_unknown_region_and_provider_fall_back_to_world_and_default_pue():
    world = electricity_mixes.find_electricity_mix('WOR').gwp * 1000
    f = grid_factors(get_catalog(), 'mars-1', 'nobody')
    assert (f.intensity, f.basis, f.year, f.zone) == ((world, world, world), 'world', None, None)
    assert f.pue == (1.1, DEFAULT_PUE, 1.4)
    assert f.note == 'Unknown region mars-1: world average grid'
    assert grid_factors(get_catalog(), None, None).basis == 'world'


def test_region_pue_applies_only_to_the_regions_own_cloud():
    catalog = get_catalog()
    assert catalog.providers['aws-bedrock'].pue == 1.14
    bedrock = grid_factors(catalog, 'us-east-1', 'aws-bedrock')
    assert bedrock.pue == (1.14, 1.15, 1.16)  # 2024 region PUE 1.15; 2022 1.16; AWS fleet 1.14
    openai = grid_factors(catalog, 'us-east-1', 'openai')
    assert openai.pue == (1.18, 1.18, 1.18)
    assert openai.intensity == bedrock.intensity == (396.25, 396.25, 429.84)


def test_region_without_pue_keeps_the_fleet_pue():
    f = grid_factors(get_catalog(), 'asia-northeast1', 'google-vertex')  # the source gives no PUE there
    assert f.pue == (1.09, 1.09, 1.09)
    assert f.intensity[1] == 452.85


def test_provider_clouds():
    clouds = {p.id: p.cloud for p in get_catalog().providers.values()}
    assert (clouds['aws-bedrock'], clouds['google-vertex'], clouds['azure-openai']) == ('aws', 'gcp', 'azure')
    assert clouds['openai'] == clouds['anthropic'] == ''


def test_every_catalog_region_but_generic_usa_has_grid_rows():
    catalog = get_catalog()
    rows = {r['region']: r for r in grid_rows()}
    assert set(rows) == set(catalog.regions)
    assert [r for r, row in rows.items() if row['basis'] == 'country'] == ['generic-usa']
    assert all(len([g for g in catalog.grid if g.region == r]) <= 3 for r in rows)
    assert [r['intensity'] for r in grid_rows()] == sorted(r['intensity'] for r in grid_rows())


def test_catalog_problems_report_a_broken_grid_row(tmp_path):
    assert catalog_problems(get_catalog()) == []
    folder = tmp_path / 'data'
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns('fonts'))
    with (folder / 'grid.csv').open(newline='', encoding='utf-8') as f:
        rows = list(csv.DictReader(f))
    bad = [
        dict(rows[0], region='atlantis', year='2024'),
        dict(rows[0], year='2025', grid_intensity_g_per_kwh='-3'),
        dict(rows[0], year='last year'),
        dict(rows[0], year='2026', pue='0.9'),
        dict(rows[0], year='2027', source=''),
        dict(rows[0], year='2028', basis='zone', via='gcp:nowhere-1'),  # zone row among the region's own rows
        dict(rows[0], year='2029', via='aws:us-east-1'),  # region row that names a via
    ]
    with (folder / 'grid.csv').open('w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows + bad)
    first = rows[0]['region']
    assert catalog_problems(load_catalog(folder)) == [
        'grid atlantis/2024: unknown region',
        f'grid {first}/0: no whole-number year, or no positive intensity with a zone and source',
        f'grid {first}/2025: no whole-number year, or no positive intensity with a zone and source',
        f'grid {first}/2026: PUE below 1',
        f'grid {first}/2027: no whole-number year, or no positive intensity with a zone and source',
        f"grid {first}/2029: basis 'region' does not match via 'aws:us-east-1'",
        f'grid {first}: years repeat or differ in zone, basis or via',
    ]
