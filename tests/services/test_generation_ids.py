"""Generation ids: 'gen-' + the recording time in milliseconds + random digits, all base 36."""

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.usage.generation_ids import ID_ALPHABET, _base36, new_generation_id, recorded_at, recording_hour


@given(st.integers(min_value=0, max_value=2**130), st.integers(min_value=1, max_value=25))
def test_base36_writes_the_last_digits_of_the_number_zero_padded(number, digits):
    written = _base36(number, digits)
    assert len(written) == digits and set(written) <= set(ID_ALPHABET)
    assert int(written, 36) == number % 36**digits


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)))
def test_an_id_tells_the_millisecond_it_was_recorded_and_sorts_by_it(moment):
    made = new_generation_id(random.Random(7), moment)
    assert len(made) == 24 and made.startswith('gen-')
    assert recorded_at(made) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    later = new_generation_id(random.Random(8), moment + timedelta(milliseconds=1))
    assert later[:13] > made[:13]


ids = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=ID_ALPHABET + '!Z', min_size=18, max_size=22).map(lambda tail: 'gen-' + tail),
    st.builds(lambda n, b: 'gen-' + _base36(n, 9) + _base36(b, 11), st.integers(0, 36**9), st.integers(0, 2**64)),
)


@given(ids, st.datetimes(timezones=st.just(UTC)))
def test_the_recording_hour_is_the_ids_hour_or_else_the_generations(generation_id, created_at):
    expected = (recorded_at(generation_id) or created_at).replace(minute=0, second=0, microsecond=0)
    assert recording_hour({'id': generation_id, 'created_at': created_at}) == expected
