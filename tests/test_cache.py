import json
import warnings

import numpy as np
import pytest

from helpers.cache import cache_key, load_or_compute, load_or_train_model
from helpers.models import StackedAutoencoder


def tiny_trainer(calls):
    def train():
        calls.append(1)
        model = StackedAutoencoder(input_shape=(6,), hidden_units=(3,), tied=True)
        return model, {"val_loss": [0.5]}
    return train


SPEC = {"kind": "tiny", "seed": 1}


def test_miss_then_hit(tmp_path):
    calls = []
    first = load_or_train_model(SPEC, tiny_trainer(calls), tmp_path)
    second = load_or_train_model(SPEC, tiny_trainer(calls), tmp_path)
    assert (first.from_cache, second.from_cache, len(calls)) == (False, True, 1)
    assert second.info == {"val_loss": [0.5]}
    x = np.ones((2, 6), "float32")
    np.testing.assert_allclose(first.model(x), second.model(x), atol=1e-6)
    assert second.model.decoder.layers[0].kernel is second.model.encoder.layers[-1].kernel
    assert not list(tmp_path.glob(".tmp-*")), "atomic writes leave no temp files"


def test_any_change_in_the_spec_is_a_miss(tmp_path):
    calls = []
    load_or_train_model(SPEC, tiny_trainer(calls), tmp_path)
    load_or_train_model({**SPEC, "seed": 2}, tiny_trainer(calls), tmp_path)
    assert len(calls) == 2
    assert cache_key(SPEC) != cache_key({**SPEC, "seed": 2})
    assert cache_key(SPEC) == cache_key(dict(reversed(list(SPEC.items()))))


@pytest.mark.parametrize("damage", ["model", "info"])
def test_corrupt_entry_is_retrained_with_a_warning(tmp_path, damage):
    calls = []
    entry = load_or_train_model(SPEC, tiny_trainer(calls), tmp_path)
    suffix = ".keras" if damage == "model" else ".json"
    (tmp_path / f"{entry.key}{suffix}").write_bytes(b"not what it should be")
    with pytest.warns(RuntimeWarning, match="unreadable.*retraining"):
        again = load_or_train_model(SPEC, tiny_trainer(calls), tmp_path)
    assert not again.from_cache and len(calls) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_or_train_model(SPEC, tiny_trainer(calls), tmp_path).from_cache


def test_results_cache_hit_miss_corrupt(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"accuracy": 0.5}

    assert load_or_compute(SPEC, compute, tmp_path) == ({"accuracy": 0.5}, False)
    assert load_or_compute(SPEC, compute, tmp_path) == ({"accuracy": 0.5}, True)
    path = next(tmp_path.glob("*.result.json"))
    path.write_text("{truncated")
    with pytest.warns(RuntimeWarning, match="recomputing"):
        assert load_or_compute(SPEC, compute, tmp_path) == ({"accuracy": 0.5}, False)
    assert len(calls) == 2 and json.loads(path.read_text())["result"] == {"accuracy": 0.5}
