"""helpers.tying_study: speed rows and verdicts, memory counts, the overfitting runs and their verdict."""

import numpy as np
import pytest

from helpers import tying_study as ts
from helpers.models import stacked_autoencoder
from helpers.profile import PROFILES


def history(seconds, val_loss, loss=None):
    return {"seconds": list(seconds), "val_loss": list(val_loss), "loss": list(loss or val_loss)}


# --- speed -------------------------------------------------------------------------------------

def test_epoch_durations_drop_the_first_epoch_which_compiles():
    np.testing.assert_allclose(ts.epoch_durations([3.0, 4.0, 5.5, 6.5]), [1.0, 1.5, 1.0])
    assert ts.epoch_durations([3.0]).size == 0


def test_first_epoch_at_or_below_counts_from_one():
    assert ts.first_epoch_at_or_below([0.05, 0.03, 0.02], 0.03) == 2
    assert ts.first_epoch_at_or_below([0.05, 0.03, 0.02], 0.05) == 1
    assert ts.first_epoch_at_or_below([0.05, 0.03], 0.01) is None


def test_common_target_is_the_highest_final_value():
    assert ts.common_target([history([1, 2], [0.05, 0.02]), history([1, 2], [0.04, 0.03])]) == 0.03


def race(tied_seconds, same_seconds, zero_seconds, epochs=6):
    """Three histories whose validation MSE falls linearly to 0.010 (tied), 0.012 (same start)
    and 0.009 (zero start), taking the given seconds per epoch."""
    def make(per_epoch, final):
        return history(np.cumsum([2.0] + [per_epoch] * (epochs - 1)), np.linspace(0.05, final, epochs))
    return {ts.SAME_START: make(same_seconds, 0.012), ts.TIED: make(tied_seconds, 0.010),
            ts.ZERO_START: make(zero_seconds, 0.009)}


def test_speed_rows_time_every_model_to_the_common_target():
    rows, target = ts.speed_rows(race(1.0, 2.0, 1.0))
    assert target == pytest.approx(0.012)
    by_model = {row["model"]: row for row in rows}
    same, tied = by_model[ts.SAME_START], by_model[ts.TIED]
    assert same["epochs_to_target"] == 6 and same["seconds_to_target"] == pytest.approx(12.0)
    assert tied["per_epoch"] == pytest.approx(1.0) and tied["timed_epochs"] == 5
    assert tied["epochs_to_target"] == 6  # 0.05 -> 0.010 in 5 steps: 0.018 at epoch 5, 0.010 at 6
    assert tied["seconds_to_target"] == pytest.approx(7.0)


def test_speed_table_is_narrow_and_lists_every_model():
    rows, _ = ts.speed_rows(race(1.0, 2.0, 1.0))
    table = ts.format_speed_table(rows)
    assert max(len(line) for line in table.splitlines()) <= 100
    assert all(name in table for name in ts.SPEED_MODELS)


def test_speed_verdict_supported_when_tied_epochs_are_clearly_faster():
    rows, target = ts.speed_rows(race(1.0, 2.0, 0.5))  # steady epoch times: no noise
    verdict = ts.speed_verdict(rows, target)
    assert "Verdict on time per epoch: supported" in verdict and "1.00 s (50%) less" in verdict
    assert "up to 0.00 s (interquartile range)" in verdict
    assert "Verdict on time to that error: supported here" in verdict and "1.7 times sooner" in verdict
    assert "because its epochs were faster, in as many epochs or more" in verdict  # 6 epochs each
    assert "zero start alone gets there sooner still" in verdict
    assert "lowest value every run reaches" in verdict and "only in its last epoch" in verdict


def noisy(per_epoch, spread, epochs):
    """Epoch times alternating around ``per_epoch`` by +-``spread`` (a busy machine)."""
    return [per_epoch + (spread if k % 2 else -spread) for k in range(epochs - 1)]


def test_speed_verdict_within_noise_says_not_shown():
    runs = race(1.0, 1.0, 1.0, epochs=9)
    for label, per_epoch in ((ts.TIED, 0.97), (ts.SAME_START, 1.01), (ts.ZERO_START, 1.0)):
        runs[label]["seconds"] = list(np.cumsum([2.0, *noisy(per_epoch, 0.2, 9)]))
    verdict = ts.speed_verdict(*ts.speed_rows(runs))
    assert "Verdict on time per epoch: not shown: within noise" in verdict
    assert "0.04 s (4%) less" in verdict
    assert "Verdict on time per epoch: supported" not in verdict


def test_time_to_target_from_fewer_epochs_is_not_credited_to_faster_epochs():
    runs = race(1.0, 1.0, 1.0, epochs=15)
    for label in runs:  # same noisy epoch times for all three
        runs[label]["seconds"] = list(np.cumsum([2.0, *noisy(1.0, 0.2, 15)]))
    runs[ts.TIED]["val_loss"] = list(np.geomspace(0.05, 0.001, 15))  # 0.012 reached at epoch 7
    verdict = ts.speed_verdict(*ts.speed_rows(runs))
    assert "Verdict on time per epoch: not shown: within noise" in verdict
    assert "Verdict on time to that error: supported here" in verdict
    assert ("because its error fell in fewer epochs (7 against 15), not because its epochs were "
            "faster") in verdict


def test_a_one_epoch_lead_within_the_summed_noise_is_not_shown():
    runs = race(1.0, 1.0, 1.0, epochs=9)
    for label in runs:
        runs[label]["seconds"] = list(np.cumsum([2.0, *noisy(1.0, 0.2, 9)]))
    runs[ts.TIED]["val_loss"] = list(np.linspace(0.05, 0.008, 9))  # 8 epochs against 9: about 1 s
    verdict = ts.speed_verdict(*ts.speed_rows(runs))
    assert "Verdict on time to that error: not shown" in verdict


def test_speed_verdict_not_supported_when_tied_is_slower():
    rows, target = ts.speed_rows(race(3.0, 1.0, 1.0))
    verdict = ts.speed_verdict(rows, target)
    assert "Verdict on time per epoch: not supported" in verdict and "more" in verdict
    assert "Verdict on time to that error: not supported here" in verdict


def test_speed_verdict_not_shown_within_the_tolerance():
    rows, target = ts.speed_rows(race(1.0, 1.02, 1.0))
    verdict = ts.speed_verdict(rows, target)
    assert "Verdict on time to that error: not shown" in verdict


def test_epoch_time_noise_is_the_largest_interquartile_range():
    rows = [{"per_epoch_quartiles": (1.0, 1.5)}, {"per_epoch_quartiles": (0.9, 1.0)}]
    assert ts.epoch_time_noise(*rows) == pytest.approx(0.5)


def test_speed_verdict_not_judged_with_too_few_epochs():
    rows, target = ts.speed_rows(race(1.0, 2.0, 1.0, epochs=2))
    verdict = ts.speed_verdict(rows, target)
    assert "too few epochs" in verdict and "Verdict: not judged" in verdict


# --- memory and weights ------------------------------------------------------------------------

def test_training_state_counts_parameters_and_two_nadam_slots_per_weight():
    untied = ts.training_state(stacked_autoencoder(30, tied=False))
    tied = ts.training_state(stacked_autoencoder(30, tied=True))
    assert (untied["parameters"], tied["parameters"]) == (163_814, 82_414)
    # two slots per weight, plus Nadam's step counter and its running momentum product
    assert (untied["optimizer"], tied["optimizer"]) == (2 * 163_814 + 2, 2 * 82_414 + 2)
    assert (untied["variables"], tied["variables"]) == (8, 6)
    assert untied["mib"] == pytest.approx((163_814 * 3 + 2) * 4 / 2**20, rel=1e-4)


def test_memory_table_and_verdict():
    states = {"untied": {"variables": 8, "parameters": 100, "optimizer": 202, "total": 302, "mib": 2.0},
              "tied": {"variables": 6, "parameters": 50, "optimizer": 102, "total": 152, "mib": 1.0}}
    table = ts.format_memory_table(states)
    assert "302" in table and "152" in table
    images = np.zeros((1000, 28, 28), dtype=np.float32)  # 2.99 MiB
    verdict = ts.memory_verdict(states["tied"], states["untied"], images)
    assert "Verdict: supported, tying saves 50%" in verdict
    assert "3 MiB of the 1,000 training images" in verdict
    assert "not supported" in ts.memory_verdict(states["untied"], states["untied"], images)


@pytest.mark.parametrize("tied, verdict", [(82_414, "Verdict: supported"), (120_000, "partly supported"),
                                           (163_814, "not supported")])
def test_weights_verdict(tied, verdict):
    text = ts.weights_verdict(163_814, tied)
    assert verdict in text and f"{tied:,}" in text


# --- overfitting: the runs ---------------------------------------------------------------------

def test_overfit_sizes_and_plan_per_profile():
    assert ts.overfit_sizes(PROFILES["full"]) == (500, 1_000, 5_000)
    assert ts.overfit_sizes(PROFILES["quick"]) == (500, 5_000)
    plan = ts.describe_overfit_plan(PROFILES["full"])
    assert "500, 1,000, 5,000 images" in plan and "seeds 0, 1, 2" in plan
    assert "10 epochs of 10,000 images = 790 steps of 128" in plan
    assert "2 epochs of 10,000 images = 158 steps" in ts.describe_overfit_plan(PROFILES["quick"])


def test_small_training_set_draws_distinct_images_by_seed():
    X = np.arange(50, dtype=np.float32).reshape(50, 1, 1)
    a, b = ts.small_training_set(X, 10, seed=0), ts.small_training_set(X, 10, seed=1)
    assert len(np.unique(a)) == 10 and np.array_equal(a, ts.small_training_set(X, 10, seed=0))
    assert not np.array_equal(a, b)
    assert set(ts.small_training_set(X, 20, seed=0)[:10].ravel()) == set(a.ravel())  # nested by seed
    with pytest.raises(ValueError, match="n_images must be from 1 to 50"):
        ts.small_training_set(X, 51, seed=0)


def test_overfit_run_trains_on_the_small_set_repeated(fashion, quick_profile, private_cache, monkeypatch):
    import helpers.training as training

    seen = {}

    def fake_fit(model, X_train, X_valid, recipe, epochs=None, **kwargs):
        seen.update(X_train=np.asarray(X_train), X_valid=np.asarray(X_valid), recipe=recipe, epochs=epochs)
        return {"loss": [0.05] * epochs, "val_loss": [0.06] * epochs, "seconds": [1.0] * epochs}

    monkeypatch.setattr(training, "fit_reconstruction", fake_fit)
    run = ts.overfit_run(500, tied=True, seed=3, data=fashion)
    images = ts.small_training_set(fashion.X_train[:5_000], 500, seed=3)
    assert seen["X_train"].shape == (10_000, 28, 28) and seen["X_valid"].shape == (1_000, 28, 28)
    np.testing.assert_array_equal(seen["X_train"][:500], images)
    np.testing.assert_array_equal(seen["X_train"][9_500:], images)
    assert seen["recipe"].name == "tying-overfit" and not seen["recipe"].jit_compile
    assert seen["epochs"] == 2 and seen["recipe"].output_init == "glorot_uniform"
    assert run.model.tied and run.info["train_images"] == 500
    expected = training.reconstruction_mse(run.model, images)
    assert run.info["train_mse"] == pytest.approx(expected, rel=1e-6)
    assert ts.overfit_run(500, tied=True, seed=3, data=fashion).from_cache


def test_overfit_study_really_trains_and_caches(fashion, quick_profile, private_cache):
    records = ts.overfit_study(fashion, sizes=(500,), seeds=(0,))
    assert [(r["n_images"], r["tied"], r["seed"]) for r in records] == [(500, False, 0), (500, True, 0)]
    for r in records:
        assert 0 < r["train_mse"] < 0.1 and r["gap"] == pytest.approx(r["valid_mse"] - r["train_mse"])
        assert r["lowest_monitor"] <= r["final_monitor"] and not r["from_cache"]
    again = ts.overfit_study(fashion, sizes=(500,), seeds=(0,))
    assert all(r["from_cache"] for r in again)
    assert [r["gap"] for r in again] == [r["gap"] for r in records]


# --- overfitting: tables and verdicts ------------------------------------------------------------

def records_from(gaps, trains=None, valids=None):
    """Records from {n: (untied gaps per seed, tied gaps per seed)}; valid = train + gap."""
    out = []
    for n, pair in gaps.items():
        for tied, values in zip((False, True), pair, strict=True):
            for seed, gap in enumerate(values):
                train = trains[n][tied][seed] if trains else 0.01
                valid = valids[n][tied][seed] if valids else train + gap
                out.append({"n_images": n, "tied": tied, "seed": seed, "train_mse": train,
                            "valid_mse": valid, "gap": valid - train, "lowest_monitor": valid,
                            "final_monitor": valid + (0.001 if seed == 0 else 0.0)})
    return out


def test_paired_orders_seeds_and_kinds():
    records = records_from({500: ([3.0, 2.0], [1.0, 0.5])})[::-1]  # shuffled input order
    untied, tied = ts.paired(records, "gap")[500]
    np.testing.assert_allclose(untied, [3.0, 2.0])
    np.testing.assert_allclose(tied, [1.0, 0.5])


def test_overfit_table_gives_means_per_size():
    table = ts.format_overfit_table(records_from({500: ([0.004, 0.006], [0.002, 0.002]),
                                                  5000: ([0.001, 0.001], [0.001, 0.001])}))
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[2].split()[:2] == ["500", "2"]
    assert lines[2].split()[-5:] == ["0.00500", "0.00200", "2", "of", "2"]
    assert lines[3].startswith("  5,000")


def test_overfit_verdict_supported_when_tied_gap_is_smaller_everywhere():
    verdict = ts.overfit_verdict(records_from({500: ([0.005, 0.006], [0.003, 0.004]),
                                               5000: ([0.001, 0.002], [0.0005, 0.001])}))
    assert "grows as the training set shrinks" in verdict
    assert "In all 2 seeds, tied's gap is smaller at 2 of 2 sizes and larger at 0" in verdict
    assert "Verdict: supported" in verdict and "ended above its lowest value in 4 of 8 runs" in verdict
    assert "went past the point of lowest validation error" in verdict


def test_overfit_verdict_says_when_no_run_turned_up():
    records = records_from({500: ([0.005, 0.006], [0.003, 0.004]), 5000: ([0.001, 0.002], [0.0005, 0.001])})
    for r in records:
        r["final_monitor"] = r["lowest_monitor"]
    assert "in 0 of 8 runs: no run went on long enough" in ts.overfit_verdict(records)


def test_overfit_verdict_not_supported_and_mixed():
    larger = ts.overfit_verdict(records_from({500: ([0.003, 0.003], [0.005, 0.006]),
                                              5000: ([0.002, 0.002], [0.003, 0.003])}))
    assert "Verdict: not supported" in larger
    mixed = ts.overfit_verdict(records_from({500: ([0.005, 0.003], [0.004, 0.004]),
                                             5000: ([0.001, 0.001], [0.0005, 0.0005])}))
    assert "Verdict: mixed" in mixed and "smaller at 1 of 2 sizes" in mixed
    assert "Tied's gap is the smaller one in 1 of 2 seeds at 500 images, 2 of 2 seeds at 5,000" in mixed


def test_smaller_gap_seeds_counts_every_size_even_when_seeds_disagree():
    records = records_from({500: ([0.005, 0.003, 0.004], [0.004, 0.004, 0.001]),
                            1000: ([0.002, 0.002, 0.002], [0.003, 0.003, 0.003])})
    assert ts.smaller_gap_seeds(records) == {500: (2, 3), 1000: (0, 3)}
    table = ts.format_overfit_table(records).splitlines()
    assert table[2].endswith("2 of 3") and table[3].endswith("0 of 3")


def test_overfit_verdict_flags_a_gap_that_shrinks_by_fitting_less():
    gaps = {500: ([0.005, 0.005], [0.003, 0.003]), 5000: ([0.002, 0.002], [0.001, 0.001])}
    trains = {n: ([0.010, 0.010], [0.012, 0.012]) for n in gaps}
    verdict = ts.overfit_verdict(records_from(gaps, trains=trains))
    assert "Verdict: supported" in verdict and "fitting its own training images less closely" in verdict


def test_overfit_verdict_says_when_the_gap_does_not_grow():
    verdict = ts.overfit_verdict(records_from({500: ([0.001, 0.001], [0.001, 0.001]),
                                               5000: ([0.002, 0.002], [0.002, 0.002])}))
    assert "does not grow as the training set shrinks" in verdict


def test_overfit_verdict_with_one_seed_is_not_judged():
    verdict = ts.overfit_verdict(records_from({500: ([0.005], [0.003]), 5000: ([0.001], [0.0005])}))
    assert "In this run's one seed" in verdict and "Verdict: not judged" in verdict
