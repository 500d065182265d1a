"""Measuring the textbook's claims about tied weights: speed, memory and overfitting.

The textbook says tying halves the weights, speeds up training and limits overfitting. This module
measures them and turns each measurement into a verdict computed from the numbers:

* **weights**: the two parameter counts (:func:`weights_verdict`);
* **speed**: the models of ``SPEED_MODELS`` (tied; untied with the same random start; untied with
  the suite's zero start), from their training records: seconds per epoch, judged against the
  timing noise of the epoch times, and time to an MSE every run reaches;
* **memory**: parameters plus the optimiser's state, counted from a built Nadam's variables;
* **overfitting**: tied and untied trained on small training sets for many passes
  (:func:`overfit_study`), comparing the gap between training and validation MSE.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from helpers.data import FashionMNIST, load_fashion_mnist
from helpers.models import IMAGE_SHAPE, stacked_autoencoder
from helpers.profile import Profile, active_profile
from helpers.recipes import FAST_RANDOM_START, get_recipe, make_optimizer
from helpers.training import (
    HIDDEN_UNITS,
    reconstruction_mse,
    train_cached,
    training_arrays,
    training_spec,
    verify_autoencoder,
)

# label: (tied, recipe). A tied decoder cannot start at zero (it borrows the encoder's kernel),
# so "untied, random start" is the fair comparison; the zero start is the suite's default.
TIED, SAME_START, ZERO_START = "tied", "untied, random start", "untied, zero start"
SPEED_MODELS = {SAME_START: (False, "fast-random-start"), TIED: (True, "fast"), ZERO_START: (False, "fast")}
MIN_TIMED_EPOCHS = 3  # fewer epoch times than this give no spread to judge a difference by
SAME_TIME_TOLERANCE = 0.1  # times to the target closer than this (relative) count as equal

# Overfitting: every run takes the same number of gradient steps, whatever its training set
# size: an "epoch" is 10,000 images, i.e. a small set repeated (500 images 20 times).
OVERFIT_RECIPE = dataclasses.replace(FAST_RANDOM_START, name="tying-overfit", epochs=10,
                                     jit_compile=False)  # XLA's compile time does not pay off here
OVERFIT_SAMPLES_PER_EPOCH = 10_000
OVERFIT_MONITOR_IMAGES = 1_000  # validation images scored after every epoch (all 5,000 at the end)
OVERFIT_CODING_SIZE = 30


# --- speed ---------------------------------------------------------------------------------------

def epoch_durations(seconds) -> np.ndarray:
    """Wall time of each epoch after the first (which also compiles), from cumulative ``seconds``."""
    return np.diff(np.asarray(seconds, dtype=float))


def first_epoch_at_or_below(val_loss, target) -> int | None:
    """The first epoch (counting from 1) whose validation MSE is at most ``target``, else None."""
    hits = np.flatnonzero(np.asarray(val_loss, dtype=float) <= target)
    return int(hits[0]) + 1 if hits.size else None


def common_target(histories) -> float:
    """The lowest validation MSE that every run reaches: the highest of their final values."""
    return max(float(history["val_loss"][-1]) for history in histories)


def speed_rows(histories: dict) -> tuple[list[dict], float]:
    """One row per model ({label: history}) and the common target MSE they are timed to."""
    target = common_target(histories.values())
    rows = []
    for label, history in histories.items():
        durations = epoch_durations(history["seconds"])
        epoch = first_epoch_at_or_below(history["val_loss"], target)
        rows.append({
            "model": label, "epochs": len(history["val_loss"]), "timed_epochs": len(durations),
            "per_epoch": float(np.median(durations)) if len(durations) else None,
            "per_epoch_quartiles": tuple(np.percentile(durations, [25, 75])) if len(durations) else None,
            "epochs_to_target": epoch,
            "seconds_to_target": float(history["seconds"][epoch - 1]) if epoch else None,
            "final_val_mse": float(history["val_loss"][-1]),
        })
    return rows, target


def format_speed_table(rows) -> str:
    """The speed rows as a text table (at most 100 characters wide)."""
    lines = [f"{'model':<22}{'s / epoch':>10}{'middle half':>14}{'epochs to':>11}{'s to':>8}"
             f"{'final':>10}", f"{'':<22}{'(median)':>10}{'of epochs':>14}{'target':>11}{'target':>8}"
             f"{'val MSE':>10}"]
    for row in rows:
        spread = ("{:.2f}-{:.2f}".format(*row["per_epoch_quartiles"])
                  if row["per_epoch_quartiles"] else "-")
        per_epoch = f"{row['per_epoch']:.2f}" if row["per_epoch"] is not None else "-"
        epochs = str(row["epochs_to_target"] or "never")
        seconds = f"{row['seconds_to_target']:.1f}" if row["seconds_to_target"] else "-"
        lines.append(f"{row['model']:<22}{per_epoch:>10}{spread:>14}{epochs:>11}{seconds:>8}"
                     f"{row['final_val_mse']:>10.5f}")
    return "\n".join(lines)


def epoch_time_noise(*rows) -> float:
    """The timing noise of the rows' epoch times: the largest interquartile range among them.

    The runs may have trained at different times on a shared machine, so the typical spread of
    one run's own epoch times is the smallest difference in seconds per epoch worth reading.
    """
    return max(high - low for low, high in (row["per_epoch_quartiles"] for row in rows))


def _per_epoch_verdict(tied, untied) -> str:
    """Seconds per epoch, tied against untied, with a verdict that counts only what beats the noise."""
    change = tied["per_epoch"] - untied["per_epoch"]
    noise = epoch_time_noise(tied, untied)
    text = (f"per epoch (median), the tied model took {tied['per_epoch']:.2f} s against "
            f"{untied['per_epoch']:.2f} s untied, {abs(change):.2f} s "
            f"({abs(change) / untied['per_epoch']:.0%}) {'less' if change < 0 else 'more'}; one "
            f"run's epoch times spread over up to {noise:.2f} s (interquartile range), the timing noise. ")
    if abs(change) <= noise:
        return text + "Verdict on time per epoch: not shown: within noise"
    return text + ("Verdict on time per epoch: supported, the tied model's epochs are faster by more "
                   "than the noise" if change < 0 else
                   "Verdict on time per epoch: not supported, the tied model's epochs are slower by "
                   "more than the noise")


def _time_to_target_verdict(tied, same, zero, target) -> str:
    """Seconds to the common ``target``; a difference counts only if it beats the summed noise."""
    text = (f"To a common error: validation MSE {target:.5f} is the lowest value every run reaches "
            f"(the highest of their final values, so the run that ends there reaches it only in its "
            f"last epoch). The tied model reached it after {tied['epochs_to_target']} epochs "
            f"({tied['seconds_to_target']:.1f} s), the untied one from the same start after "
            f"{same['epochs_to_target']} ({same['seconds_to_target']:.1f} s), the untied one with "
            f"the zero start after {zero['epochs_to_target']} ({zero['seconds_to_target']:.1f} s). ")
    # Noise of a sum of k epoch times: sd * sqrt(k), with sd estimated from the IQR (IQR / 1.35).
    sd = epoch_time_noise(tied, same) / 1.35
    noise = 2 * sd * np.sqrt(tied["epochs_to_target"] + same["epochs_to_target"])
    saved = same["seconds_to_target"] - tied["seconds_to_target"]
    if abs(saved) <= max(noise, SAME_TIME_TOLERANCE * same["seconds_to_target"]):
        return text + ("Verdict on time to that error: not shown: the tied and the untied model from the "
                       "same start are within noise of each other")
    if saved > 0:
        fewer_epochs = tied["epochs_to_target"] < same["epochs_to_target"]
        faster_epochs = same["per_epoch"] - tied["per_epoch"] > epoch_time_noise(tied, same)
        epochs = f"{tied['epochs_to_target']} against {same['epochs_to_target']}"
        why = {(True, False): f"because its error fell in fewer epochs ({epochs}), not because its "
                              "epochs were faster",
               (True, True): f"both because its error fell in fewer epochs ({epochs}) and because its "
                             "epochs were faster",
               (False, True): "because its epochs were faster, in as many epochs or more",
               (False, False): "though neither its epoch count nor its time per epoch is clearly lower "
                               "on its own"}[fewer_epochs, faster_epochs]
        text += (f"Verdict on time to that error: supported here, with one run each: tying got there "
                 f"{same['seconds_to_target'] / tied['seconds_to_target']:.1f} times sooner than the same "
                 f"model untied from the same start, {why}")
        if zero["seconds_to_target"] < tied["seconds_to_target"]:
            text += "; the untied model's zero start alone gets there sooner still"
        return text
    return text + (f"Verdict on time to that error: not supported here, with one run each: the tied model "
                   f"took {tied['seconds_to_target'] / same['seconds_to_target']:.1f} times as long as the "
                   "same model untied from the same start")


def speed_verdict(rows, target) -> str:
    """Verdicts on "tying speeds up training", from :func:`speed_rows` (one run per model): the
    time per epoch against the timing noise, then the time to the common ``target``."""
    by_model = {row["model"]: row for row in rows}
    tied, same, zero = by_model[TIED], by_model[SAME_START], by_model[ZERO_START]
    fewest = min(row["timed_epochs"] for row in rows)
    if fewest < MIN_TIMED_EPOCHS:
        return (f"Speed, with the same random start: too few epochs after the first ({fewest}) to "
                "compare the time per epoch or to estimate the timing noise. Verdict: not judged: with "
                "so few epochs, the times are mostly compiling and set-up, not training.")
    return (f"Speed, with the same random start: {_per_epoch_verdict(tied, same)}. "
            f"{_time_to_target_verdict(tied, same, zero, target)}.")


# --- memory --------------------------------------------------------------------------------------

def training_state(model, recipe="fast", steps_per_epoch=430) -> dict:
    """Numbers and bytes a model's training keeps: parameters and the optimiser's variables.

    The optimiser is the recipe's Nadam, built on the model's trainable variables (two slots,
    momentum and velocity, per variable, plus a few scalars such as the step counter).
    """
    recipe = get_recipe(recipe)
    optimizer = make_optimizer(recipe, steps_per_epoch, recipe.epochs)
    optimizer.build(model.trainable_variables)

    def size(variables):
        counts = [int(np.prod(v.shape)) for v in variables]
        sizes = zip(counts, variables, strict=True)
        return sum(counts), sum(n * np.dtype(v.dtype).itemsize for n, v in sizes)

    (parameters, parameter_bytes), (state, state_bytes) = size(model.weights), size(optimizer.variables)
    return {"parameters": parameters, "optimizer": state, "optimizer_variables": len(optimizer.variables),
            "variables": len(model.trainable_variables), "total": parameters + state,
            "mib": (parameter_bytes + state_bytes) / 2**20}


def format_memory_table(states: dict) -> str:
    """{label: training_state(...)} as a text table."""
    lines = [f"{'model':<10}{'variables':>10}{'parameters':>12}{'Nadam state':>13}{'total':>10}{'MiB':>7}"]
    for label, s in states.items():
        lines.append(f"{label:<10}{s['variables']:>10}{s['parameters']:>12,}{s['optimizer']:>13,}"
                     f"{s['total']:>10,}{s['mib']:>7.2f}")
    return "\n".join(lines)


def memory_verdict(tied: dict, untied: dict, images) -> str:
    """A verdict on the memory tying saves (:func:`training_state` of each), set against the
    size of the training ``images`` the same run holds."""
    saving = 1 - tied["total"] / untied["total"]
    images = np.asarray(images)
    return (f"Memory: parameters plus Nadam's state take {tied['total']:,} numbers ({tied['mib']:.2f} MiB) "
            f"tied against {untied['total']:,} ({untied['mib']:.2f} MiB) untied. Verdict: "
            + (f"supported, tying saves {saving:.0%} of this memory; but the "
               f"{untied['mib'] - tied['mib']:.2f} MiB saved are small next to the "
               f"{images.nbytes / 2**20:.0f} MiB of the {len(images):,} training images"
               if saving > 0 else "not supported, tying saves nothing here") + ".")


def weights_verdict(untied_parameters: int, tied_parameters: int) -> str:
    """A verdict on "tying halves the weights", from the two parameter counts."""
    ratio = tied_parameters / untied_parameters
    if abs(ratio - 0.5) <= 0.05:
        verdict = "supported, tying about halves them (the decoder keeps only its biases)"
    elif ratio < 1:
        verdict = "partly supported: fewer parameters, but not about half"
    else:
        verdict = "not supported: tying does not reduce them"
    return (f"Weights: the tied model has {tied_parameters:,} parameters, {ratio:.1%} of the untied "
            f"model's {untied_parameters:,}. Verdict: {verdict}.")


# --- overfitting ---------------------------------------------------------------------------------

def overfit_sizes(profile: Profile) -> tuple[int, ...]:
    """Training-set sizes for the overfitting runs: fewer in the quick profile."""
    return (500, 5_000) if profile.is_quick else (500, 1_000, 5_000)


def describe_overfit_plan(profile: Profile) -> str:
    """One line: the sizes, seeds, epochs and gradient steps of the overfitting runs in ``profile``."""
    epochs = profile.epochs(OVERFIT_RECIPE.epochs)
    steps = epochs * -(-OVERFIT_SAMPLES_PER_EPOCH // OVERFIT_RECIPE.batch_size)
    sizes = ", ".join(f"{n:,}" for n in overfit_sizes(profile))
    return (f"training sets of {sizes} images; seeds {', '.join(map(str, profile.seeds))}; every run "
            f"{epochs} epochs of {OVERFIT_SAMPLES_PER_EPOCH:,} images = {steps:,} steps of "
            f"{OVERFIT_RECIPE.batch_size}")


def small_training_set(X_train, n_images, seed) -> np.ndarray:
    """``n_images`` images drawn without replacement from ``X_train`` by ``seed``."""
    if not 1 <= n_images <= len(X_train):
        raise ValueError(f"n_images must be from 1 to {len(X_train):,} (the training images available); "
                         f"got {n_images}.")
    return X_train[np.random.default_rng(seed).permutation(len(X_train))[:n_images]]


def overfit_run(n_images, tied, seed, data: FashionMNIST | None = None, profile: Profile | None = None,
                recipe=OVERFIT_RECIPE):
    """A 784-100-30-100-784 autoencoder trained on ``n_images`` images (cached).

    Every run takes the same number of steps (epochs of ``OVERFIT_SAMPLES_PER_EPOCH`` images).
    ``.info`` adds ``train_mse`` (on its ``n_images``) and ``valid_mse`` (all validation images).
    """
    profile, data, recipe = profile or active_profile(), data or load_fashion_mnist(), get_recipe(recipe)
    architecture = {"coding_size": OVERFIT_CODING_SIZE, "hidden_units": HIDDEN_UNITS, "tied": bool(tied)}
    spec = training_spec("tying_overfit_autoencoder", architecture=architecture, train_images=n_images,
                         samples_per_epoch=OVERFIT_SAMPLES_PER_EPOCH, monitor=OVERFIT_MONITOR_IMAGES,
                         recipe=recipe, seed=seed, profile=profile, data=data)

    def arrays():
        images = small_training_set(training_arrays(data, profile)[0], n_images, seed)
        repeats = -(-OVERFIT_SAMPLES_PER_EPOCH // n_images)
        repeated = np.tile(images, (repeats, 1, 1))[:OVERFIT_SAMPLES_PER_EPOCH]
        return repeated, data.X_valid[:OVERFIT_MONITOR_IMAGES]

    def extras(model, history):
        images = small_training_set(training_arrays(data, profile)[0], n_images, seed)
        return {"train_mse": reconstruction_mse(model, images), "train_images": n_images}

    return train_cached(spec, lambda: stacked_autoencoder(OVERFIT_CODING_SIZE, tied=bool(tied)),
                        recipe=recipe, seed=seed, data=data, profile=profile, arrays=arrays,
                        extras=extras, verify=verify_autoencoder(
                            IMAGE_SHAPE, (HIDDEN_UNITS, OVERFIT_CODING_SIZE), bool(tied),
                            history_keys=("valid_mse", "train_mse")))


def overfit_study(data=None, sizes=None, seeds=None, on_run: Callable | None = None,
                  recipe=OVERFIT_RECIPE) -> list[dict]:
    """Tied and untied runs for every size and seed, as plain records (models are not kept).

    Defaults: the profile's sizes (:func:`overfit_sizes`) and seeds, and ``OVERFIT_RECIPE``.

    Each record: ``n_images``, ``tied``, ``seed``, ``train_mse``, ``valid_mse``, ``gap`` (valid
    minus train), ``lowest_monitor``/``final_monitor`` (validation MSE on the monitored images)
    and ``from_cache``. ``on_run(record)`` is called after each run.
    """
    profile = active_profile()
    data = data or load_fashion_mnist()
    records = []
    for n_images in sizes or overfit_sizes(profile):
        for seed in profile.seeds if seeds is None else seeds:
            for tied in (False, True):
                run = overfit_run(n_images, tied, seed, data=data, profile=profile, recipe=recipe)
                info = run.info
                records.append({"n_images": n_images, "tied": tied, "seed": seed,
                                "train_mse": info["train_mse"], "valid_mse": info["valid_mse"],
                                "gap": info["valid_mse"] - info["train_mse"],
                                "lowest_monitor": min(info["val_loss"]),
                                "final_monitor": info["val_loss"][-1],
                                "from_cache": run.from_cache})
                del run
                if on_run:
                    on_run(records[-1])
    return records


def paired(records, field) -> dict:
    """{n_images: (untied values, tied values)} for ``field``, each in seed order (so pairs match)."""
    table = {}
    for n_images in sorted({r["n_images"] for r in records}):
        rows = sorted((r for r in records if r["n_images"] == n_images), key=lambda r: r["seed"])
        table[n_images] = tuple(np.array([r[field] for r in rows if r["tied"] is tied])
                                for tied in (False, True))
    return table


def smaller_gap_seeds(records) -> dict:
    """{n_images: (seeds where tied's gap is the smaller, seeds)}: the pairs behind each mean."""
    return {n: (int(np.sum(tied < untied)), len(tied))
            for n, (untied, tied) in paired(records, "gap").items()}


def format_overfit_table(records) -> str:
    """Means over seeds per training-set size: training and validation MSE and their gap, and on
    how many seeds tied's gap was the smaller one."""
    lines = [f"{'images':>7}{'seeds':>6}{'train MSE':>20}{'valid MSE':>20}{'gap (valid - train)':>22}"
             f"{'tied gap':>14}",
             f"{'':>13}{'untied':>10}{'tied':>10}{'untied':>10}{'tied':>10}{'untied':>11}{'tied':>11}"
             f"{'smaller':>14}"]
    train, valid, gap = (paired(records, f) for f in ("train_mse", "valid_mse", "gap"))
    wins = smaller_gap_seeds(records)
    for n in train:
        means = [v.mean() for pair in (train[n], valid[n], gap[n]) for v in pair]
        lines.append(f"{n:>7,}{len(train[n][0]):>6}" + "".join(f"{m:>10.5f}" for m in means[:4])
                     + "".join(f"{m:>11.5f}" for m in means[4:]) + f"{'{} of {}'.format(*wins[n]):>14}")
    return "\n".join(lines)


def overfit_verdict(records) -> str:
    """A verdict on "tying limits overfitting", from :func:`overfit_study`'s records."""
    gap, valid, train = (paired(records, f) for f in ("gap", "valid_mse", "train_mse"))
    sizes, n_seeds = list(gap), min(len(pair[0]) for pair in gap.values())
    smallest, largest = sizes[0], sizes[-1]
    untied_small, untied_large = gap[smallest][0].mean(), gap[largest][0].mean()
    rose = sum(r["final_monitor"] > r["lowest_monitor"] for r in records)
    trend = ("it grows as the training set shrinks, the mark of memorising" if untied_small > untied_large
             else "it does not grow as the training set shrinks, so these runs show little overfitting")
    turned = ("no run went on long enough for it to turn up again, so the gap, not a rising "
              "validation error, is the sign of memorising here" if rose == 0 else
              "in those, training went past the point of lowest validation error")
    text = (f"Overfitting: the untied model's gap is {untied_small:.5f} at {smallest:,} images and "
            f"{untied_large:.5f} at {largest:,}: {trend}. Validation MSE (on the monitored images) "
            f"ended above its lowest value in {rose} of {len(records)} runs: {turned}. ")
    smaller, larger = _every_seed(gap, np.less), _every_seed(gap, np.greater)
    lower_valid, higher_valid = _every_seed(valid, np.less), _every_seed(valid, np.greater)
    lower_train, higher_train = _every_seed(train, np.less), _every_seed(train, np.greater)
    every = "In this run's one seed" if n_seeds == 1 else f"In all {n_seeds} seeds"
    of = f"of {len(sizes)} sizes"
    per_size = ", ".join(f"{wins} of {seeds} {'seed' if seeds == 1 else 'seeds'} at {n:,} images"
                         for n, (wins, seeds) in smaller_gap_seeds(records).items())
    counts = (f"Tied's gap is the smaller one in {per_size}. {every}, tied's gap is smaller at "
              f"{len(smaller)} {of} and larger at {len(larger)}; its "
              f"validation MSE is lower at {len(lower_valid)} and higher at {len(higher_valid)}; its "
              f"training MSE is lower at {len(lower_train)} and higher at {len(higher_train)}")
    if n_seeds < 2:
        return text + (f"{counts}. One seed cannot tell a difference from seed-to-seed "
                       "variation. Verdict: not judged; run the full profile (3 seeds).")
    if len(smaller) == len(sizes):
        verdict = "supported: tying gives a smaller gap at every size, in every seed"
    elif len(larger) == len(sizes):
        verdict = "not supported: tying gives a larger gap at every size, in every seed"
    else:
        verdict = "mixed: which kind has the smaller gap depends on the size or the seed"
    if higher_train:
        verdict += (", but part of that is the tied model fitting its own training images less "
                    "closely, not better generalisation")
    elif len(lower_valid) == len(sizes):
        verdict += ", and the tied model also has the lower validation MSE everywhere"
    return text + f"{counts}. Verdict: {verdict}."


def _every_seed(table, compare) -> list:
    """Sizes at which ``compare(tied, untied)`` holds for every seed of a :func:`paired` table."""
    return [n for n, (untied, tied) in table.items() if np.all(compare(tied, untied))]
