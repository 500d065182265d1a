"""Benchmark: the book's training recipe against the suite's, and the notebooks' costs.

    python benchmarks/run.py            # the long form (make bench), ~60 min on 2 cores
    python benchmarks/run.py --quick    # smoke test of every section (make bench-quick), < 1 min

Prints one table per section and, as the last line,
``time-to-quality ratio (book/suite): X.XX`` for the stacked autoencoder at coding 30.

Time-to-quality: the book's recipe is timed until it reaches its own final validation MSE
(its last epoch, normally); the suite's recipe until it first reaches ``--target`` (0.0134).
The recipes' runs rotate (book, suite, ablation; then suite, ablation, book; ...) so that
machine drift cancels, and medians are reported over ``--repeats`` runs. Times include
compilation. The ablation (``--no-ablation`` skips it) is the suite's recipe with the book's
random start for the output layer (``FAST_RANDOM_START``); the table's last column counts the
codings that are zero for every validation image after training (dead ReLU units).
Layer-wise training runs ``--layerwise-repeats`` times per recipe.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import keras
    import tensorflow as tf

    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} | Python {platform.python_version()}"
            f" | TensorFlow {tf.__version__} | Keras {keras.__version__}")


# --- training: time to quality -------------------------------------------------------------

@dataclasses.dataclass
class Run:
    label: str
    recipe: str
    epochs: int
    seconds: float
    final_mse: float
    time_to_target: float | None
    reached: str = ""
    dead: str = "-"          # dead codings per run (zero for every validation image)


def time_to(history: dict, target: float) -> float | None:
    for seconds, mse in zip(history["seconds"], history["val_loss"], strict=True):
        if mse <= target:
            return seconds
    return None


def train_once(label, tied, recipe, epochs, data_arrays, seed):
    from helpers.models import dead_codings, stacked_autoencoder
    from helpers.training import fit_reconstruction, fresh_model

    model = fresh_model(lambda: stacked_autoencoder(30, tied=tied), recipe, seed)
    history = fit_reconstruction(model, *data_arrays, recipe, epochs=epochs)
    history["dead"] = dead_codings(model, data_arrays[1])
    return history


def layerwise_once(recipe, data, seed):
    """Greedy layer-wise training of notebook 03, cold (private cache), as one curve."""
    from helpers import layerwise

    with tempfile.TemporaryDirectory(prefix="bench-layerwise-") as cache:
        os.environ["AE_CACHE_DIR"] = cache
        try:
            result = layerwise.greedy_layerwise(layerwise.layerwise_plan(recipe), seed=seed, data=data)
        finally:
            os.environ.pop("AE_CACHE_DIR", None)
    curve = layerwise.greedy_curve(result)
    # Phase 1 trains a shallow 784-100-784 model, whose (lower) error is not the stack's: only
    # the later phases count towards time-to-target, with phase 1's time included.
    stacked = [i for i, phase in enumerate(curve["phase"]) if phase != layerwise.PHASES[0]]
    return {"seconds": [curve["seconds"][i] for i in stacked],
            "val_loss": [curve["image_val_mse"][i] for i in stacked], "epochs": len(curve["phase"])}


def training_section(args, data_arrays):
    from helpers.recipes import BOOK, FAST
    from helpers.recipes import FAST_RANDOM_START as no_zero

    # The ablation (no_zero) runs for the untied model only: a tied decoder borrows the
    # encoder's kernel, so the zero start does not apply to it.
    book_epochs = {"stacked": BOOK.epochs, "tied": 10}
    fast_epochs = {"stacked": FAST.epochs, "tied": FAST.epochs}
    if args.quick:
        book_epochs = {"stacked": 1, "tied": 1}
        fast_epochs = {"stacked": 1, "tied": 1}
    rows = []
    summary = {}
    target = args.target
    models = (("stacked", False),) if args.quick else (("stacked", False), ("tied", True))
    models = tuple(m for m in models if m[0] in args.models)
    if args.quick:  # a smoke test of the code path, not a measurement
        data_arrays = tuple(a[:1000] for a in data_arrays)
    for name, tied in models:
        recipes = [("book", BOOK), ("fast", FAST)]
        if not tied and args.ablation:
            recipes.append(("no-zero", no_zero))
        runs = {tag: [] for tag, _ in recipes}
        for rep in range(args.repeats):
            order = recipes[rep % len(recipes):] + recipes[:rep % len(recipes)]  # rotate: drift cancels
            for tag, recipe in order:
                epochs = book_epochs[name] if tag == "book" else fast_epochs[name]
                h = train_once(name, tied, recipe, epochs, data_arrays, seed=rep)
                runs[tag].append(h)
                print(f"  [{name} AE, {recipe.name} recipe, run {rep + 1}] {h['seconds'][-1]:.1f} s, "
                      f"val MSE {h['val_loss'][-1]:.5f}, dead codings {h['dead']}", flush=True)
        book_final = statistics.median(h["val_loss"][-1] for h in runs["book"])
        target = args.target if not args.quick else book_final
        for tag, _ in recipes:
            hs, goal = runs[tag], (None if tag == "book" else target)
            ttt = [time_to(h, goal if goal is not None else h["val_loss"][-1]) for h in hs]
            reached = [t for t in ttt if t is not None]
            rows.append(Run(f"{name} AE (coding 30)", tag, len(hs[0]["val_loss"]),
                            statistics.median(h["seconds"][-1] for h in hs),
                            statistics.median(h["val_loss"][-1] for h in hs),
                            statistics.median(reached) if reached else None,
                            f"{len(reached)}/{len(hs)}", "/".join(str(h["dead"]) for h in hs)))
            print(f"  {name} AE, {tag}: final val MSE per run "
                  + ", ".join(f"{h['val_loss'][-1]:.5f}" for h in hs), flush=True)
        summary[name] = (rows[-len(recipes)], rows[-len(recipes) + 1])
    if args.layerwise and args.quick:
        print("  layer-wise: skipped in --quick (its code is covered by tests/test_layerwise.py)")
    elif args.layerwise:
        from helpers.data import load_fashion_mnist

        runs = {"book": [], "fast": []}
        for rep in range(args.layerwise_repeats):
            for tag in (("book", "fast") if rep % 2 == 0 else ("fast", "book")):
                h = layerwise_once(tag, load_fashion_mnist(), seed=rep)
                runs[tag].append(h)
                print(f"  [layer-wise, {tag} recipe, run {rep + 1}] {h['seconds'][-1]:.1f} s, "
                      f"val MSE {h['val_loss'][-1]:.5f}", flush=True)
        book_final = statistics.median(h["val_loss"][-1] for h in runs["book"])
        goal = args.target if not args.quick else book_final
        for tag in ("book", "fast"):
            hs = runs[tag]
            ttt = [time_to(h, h["val_loss"][-1] if tag == "book" else goal) for h in hs]
            reached = [t for t in ttt if t is not None]
            rows.append(Run("layer-wise, 3 phases", tag, hs[0]["epochs"],
                            statistics.median(h["seconds"][-1] for h in hs),
                            statistics.median(h["val_loss"][-1] for h in hs),
                            statistics.median(reached) if reached else None, f"{len(reached)}/{len(hs)}"))
        summary["layerwise"] = (rows[-2], rows[-1])
    return rows, summary, target


def print_training(rows, target):
    ablation = any(r.recipe == "no-zero" for r in rows)
    print(f"\n{'model':<26}{'recipe':<9}{'epochs':>7}{'seconds':>10}{'final val MSE':>15}"
          f"{'time-to-target s':>18}{'runs reaching it':>18}{'dead codings':>14}")
    for r in rows:
        ttt = "not reached" if r.time_to_target is None else f"{r.time_to_target:.1f}"
        print(f"{r.label:<26}{r.recipe:<9}{r.epochs:>7}{r.seconds:>10.1f}{r.final_mse:>15.5f}{ttt:>18}"
              f"{r.reached:>18}{r.dead:>14}")
    print(f"(medians over runs; book: time to its own final val MSE; others: time to val MSE <= "
          f"{target:.5f}, median over the runs that reach it; dead codings: per run, of 30"
          + (";\n no-zero: the suite's recipe with the output layer initialised at random, as in the book)"
             if ablation else ")"))


def ratio(pair) -> str:
    book, fast = pair
    if book.time_to_target is None or fast.time_to_target is None:
        return "n/a (target not reached)"
    return f"{book.time_to_target / fast.time_to_target:.2f}"


# --- notebooks: top-to-bottom time and kernel peak memory ----------------------------------

# The kernel's own high-water mark (VmHWM). Not getrusage's ru_maxrss: on Linux that survives
# exec, so a kernel started by a large process (this one, after training) would report the
# parent's size instead of its own.
PEAK_CELL = ("print('PEAK_RSS_KB', next(l.split()[1] for l in open('/proc/self/status') "
             "if l.startswith('VmHWM:')))")


def run_notebook(path: Path, cache_dir: Path, profile: str) -> tuple[float, float]:
    """(seconds, kernel peak RSS in MiB) for one top-to-bottom run; the file is not written."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    env_before = {k: os.environ.get(k) for k in ("AE_CACHE_DIR", "AE_PROFILE")}
    os.environ.update(AE_CACHE_DIR=str(cache_dir), AE_PROFILE=profile)
    try:
        client = NotebookClient(nb, timeout=1800, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    peak_kb = int(text.split("PEAK_RSS_KB")[1].split()[0])
    return seconds, peak_kb / 1024


def notebook_section(args):
    profile = "quick" if args.quick else "full"
    paths = NOTEBOOKS if not args.notebooks else [ROOT / "notebooks" / n for n in args.notebooks]
    rows = []
    for path in paths:
        with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
            cold, cold_mem = run_notebook(path, Path(cache), profile)
            warm, warm_mem = run_notebook(path, Path(cache), profile)
        rows.append((path.name, cold, warm, max(cold_mem, warm_mem)))
        print(f"  [{path.name}] cold {cold:.1f} s, warm {warm:.1f} s, peak {max(cold_mem, warm_mem):.0f} MiB",
              flush=True)
    print(f"\nNotebooks, top to bottom in a fresh kernel ({profile} profile)")
    print(f"{'notebook':<38}{'cold cache s':>13}{'warm cache s':>13}{'kernel peak MiB':>17}")
    for name, cold, warm, mem in rows:
        print(f"{name:<38}{cold:>13.1f}{warm:>13.1f}{mem:>17.0f}")
    return rows


# --- explorer redraw latency ----------------------------------------------------------------

def explorer_section(args, data):
    """Slider moves on a warmed coding-size explorer, timed from value change to new image."""
    from helpers.coding_explorer import CodingSizeExplorer

    sizes = (5, 30) if args.quick else (2, 5, 10, 20, 30, 50, 100)
    explorer = CodingSizeExplorer(sizes=sizes, show_tied_toggle=True, data=data)
    start = time.perf_counter()
    explorer.warm_up(show_progress=False)
    warm = time.perf_counter() - start
    latencies = []
    for move in range(args.moves):
        size = sizes[(sizes.index(explorer.coding_size) + 1) % len(sizes)]
        before = explorer.image.value
        t0 = time.perf_counter()
        if move % 3 == 2:
            explorer.tied_toggle.value = "untied" if explorer.tied else "tied"
        else:
            explorer.slider.value = size
        latencies.append(time.perf_counter() - t0)
        assert explorer.drawn is not None, explorer.message.value
        if explorer.image.value == before and len(sizes) > 1 and move % 3 != 2:
            raise RuntimeError("the explorer did not redraw after a slider move")
    ms = sorted(1000 * s for s in latencies)
    print(f"\nExplorer redraw latency, warm cache ({len(ms)} slider/toggle moves, Python side): "
          f"median {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms "
          f"(warm-up: load or train and pre-render {2 * len(sizes)} models, {warm:.1f} s)")
    return ms


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run of every section")
    parser.add_argument("--repeats", type=int, default=None, help="runs per recipe (default 3; 1 quick)")
    parser.add_argument("--target", type=float, default=0.0134, help="suite's validation-MSE target")
    parser.add_argument("--moves", type=int, default=20, help="slider moves for the latency figure")
    parser.add_argument("--notebooks", nargs="*", help="only these notebook file names")
    parser.add_argument("--skip", nargs="*", default=[], choices=["training", "notebooks", "explorer"])
    parser.add_argument("--no-layerwise", dest="layerwise", action="store_false")
    parser.add_argument("--layerwise-repeats", type=int, default=None,
                        help="runs per recipe for layer-wise training (default: --repeats)")
    parser.add_argument("--no-ablation", dest="ablation", action="store_false",
                        help="skip the suite recipe without its zero output start")
    parser.add_argument("--models", nargs="*", default=["stacked", "tied"], choices=["stacked", "tied"],
                        help="which end-to-end models the training section times")
    parser.add_argument("--cache-dir", help="model cache for the explorer section (default: a fresh one)")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.layerwise_repeats = args.layerwise_repeats or args.repeats

    if args.quick:
        os.environ["AE_PROFILE"] = "quick"
    import helpers  # noqa: F401  (quiet TensorFlow before it loads)
    from helpers.data import load_fashion_mnist
    from helpers.profile import active_profile
    from helpers.recipes import BOOK, FAST
    from helpers.training import training_arrays

    print(f"Machine: {machine()}")
    print(f"Book recipe:  {BOOK.describe()}")
    print(f"Suite recipe: {FAST.describe()}, steps_per_execution {FAST.steps_per_execution}, "
          f"jit_compile {FAST.jit_compile}")
    data = load_fashion_mnist()
    arrays = training_arrays(data, active_profile())
    start = time.perf_counter()
    summary = {}
    if "training" not in args.skip:
        rows, summary, target = training_section(args, arrays)
        if rows:
            print_training(rows, target)
    if "notebooks" not in args.skip and not args.quick:
        notebook_section(args)
    elif args.quick:
        print("\nNotebooks: skipped in --quick (each takes longer than the whole smoke test)")
    if "explorer" not in args.skip:
        with tempfile.TemporaryDirectory(prefix="bench-explorer-") as fresh:
            os.environ["AE_CACHE_DIR"] = args.cache_dir or fresh
            try:
                explorer_section(args, data)
            finally:
                os.environ.pop("AE_CACHE_DIR", None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nPeak resident memory of this benchmark process: {peak:.0f} MiB")
    print(f"Benchmark wall time: {time.perf_counter() - start:.0f} s")
    for name in ("tied", "layerwise"):
        if name in summary:
            print(f"{name} time-to-quality ratio (book/suite): {ratio(summary[name])}")
    if "stacked" in summary:
        print(f"time-to-quality ratio (book/suite): {ratio(summary['stacked'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
