"""Writes notebooks 03 and 04 (cells only, no outputs). Not needed at run time.

    .venv/bin/python tools/build_notebooks_03_04.py
    AE_PROFILE=full .venv/bin/python -m helpers.execute \
        notebooks/03_one_autoencoder_at_a_time.ipynb notebooks/04_encoder_reuse.ipynb

Re-running it discards the stored outputs, so execute the notebooks again afterwards.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def md(text):
    return new_markdown_cell(text.strip("\n"))


def code(text):
    return new_code_cell(text.strip("\n"))


SETUP = code("""
# NBVAL_IGNORE_OUTPUT
import helpers

profile = helpers.setup_notebook()  # seeds, quiet logs, plot style; prints versions + profile
""")

# ------------------------------------------------------------------------------------------------
NB03 = [
md("""
# 3 · Training one autoencoder at a time

Notebooks 1 and 2 trained the whole 784 → 100 → 30 → 100 → 784 network in one go. There is an
older way to get the same network: train a *shallow* autoencoder with a single hidden layer,
keep what it learned, train a second shallow autoencoder on the first one's codings, and then
nest the two. This is **greedy layer-wise training**: each step only solves a one-layer problem
and never revisits the previous ones (that is what makes it greedy), until an optional final
pass trains the whole stack together.

**What you will learn**

- how to train a deep autoencoder one shallow, tied autoencoder at a time;
- how two shallow autoencoders become one deep one by copying weights, and how to check that
  the copy is exact;
- how the greedy route compares with training the same tied architecture end to end: error
  after each phase, learning curves, wall time and reconstructions;
- why this technique was once *the* way to train deep networks, and where it still earns a place.

Models are cached on disk like in the previous notebooks: the first run trains them (a few
minutes on a laptop CPU), later runs load them in seconds.
"""),
SETUP,
code("""
import matplotlib.pyplot as plt
import numpy as np

from helpers import plots
from helpers.data import load_fashion_mnist
from helpers.layerwise import greedy_curve, greedy_layerwise, layerwise_plan, stack_autoencoders
from helpers.models import StackedAutoencoder, shared_variable_count
from helpers.training import trained_autoencoder

data = load_fashion_mnist()
print(data.summary())
"""),
md("""
## 1. Two shallow tied autoencoders

The deep autoencoder has two dense layers on each side. Greedy training splits it into two
shallow autoencoders, one per encoder layer:

| phase | shallow autoencoder | trained on | learns the stack's layers |
|---|---|---|---|
| 1 | 784 → 100 → 784 | the images | first encoder layer, last decoder layer |
| 2 | 100 → 30 → 100 | phase 1's 100-number codings | second encoder layer, first decoder layer |

Both are tied, as in notebook 2: each decoder layer is a `DenseTranspose` of its encoder layer,
so each shallow model owns one weight matrix. `StackedAutoencoder` builds them directly; a
single entry in `hidden_units` gives a one-hidden-layer model, and `input_shape=(100,)` makes the
second one take codings instead of images.

The output activations differ on purpose. Phase 1 rebuilds pixels, so its output is linear like
the deep model's. Phase 2 rebuilds ReLU codings, which are never negative, and once stacked its
decoder layer sits exactly where the deep model has its ReLU layer of 100 units; so it ends in a
ReLU too.
"""),
code("""
outer = StackedAutoencoder(input_shape=(28, 28), hidden_units=(100,), tied=True,
                           output_activation=None, name="outer")
inner = StackedAutoencoder(input_shape=(100,), hidden_units=(30,), tied=True,
                           output_activation="relu", name="inner")
for model in (outer, inner):
    shapes = " -> ".join(str(layer.output.shape[1:]) for layer in
                         [*model.encoder.layers, *model.decoder.layers])
    print(f"{model.name}: {shapes} | {model.count_params():,} parameters, "
          f"{shared_variable_count(model)} shared weight matrix")
"""),
md("""
## 2. Stacking by copying weights

Once both are trained, the deep model is assembled from copies of their weights:

- its first encoder layer ← phase 1's encoder layer (kernel and bias);
- its second encoder layer ← phase 2's encoder layer;
- its first decoder layer (30 → 100) ← phase 2's decoder bias; its weights are the transpose of
  the second encoder layer's, so the tie brings them along;
- its last decoder layer (100 → 784) ← phase 1's decoder bias, with the transposed first kernel.

`helpers.layerwise.stack_autoencoders(outer, inner)` does exactly this with `set_weights` and
`assign`; the new model is a regular tied `StackedAutoencoder` that owns its own variables, so
fine-tuning it later leaves the two shallow models unchanged. Before training anything, we can
check that the copy is exact: the stack must compute the same thing as running the image through
outer encoder → inner encoder → inner decoder → outer decoder.
"""),
code("""
stack = stack_autoencoders(outer, inner)
x = data.X_valid[:16]
nested = outer.decoder(inner.decoder(inner.encoder(outer.encoder(x))))
print("stack == nested shallow models:", np.allclose(stack(x), nested, atol=1e-6))
print(f"stack: {stack.count_params():,} parameters, "
      f"{shared_variable_count(stack)} weight matrices shared by encoder and decoder")
"""),
md("""
That is the same parameter count as notebook 2's tied autoencoder (82,414): the same
architecture, reached by another route.

## 3. Greedy training, phase by phase

`greedy_layerwise` runs the three phases, each cached on its own (a phase's cache key includes
the keys of the phases it builds on, so retraining phase 1 invalidates the others):

1. train `outer` on the training images;
2. encode all training images with `outer`'s encoder and train `inner` on those codings; after
   every epoch it also records the *image* validation error of the stack as it would be if we
   stopped there;
3. stack them and fine-tune the whole stack on the images.

The number of epochs is derived from the suite's recipe (half of it per phase), so phases 1 and 3
together make as many passes through the large 784 × 100 matrix as end-to-end training does;
phase 2 works on 100 numbers per image and costs little.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
plan = layerwise_plan()
print(plan.describe())
"""),
code("""
# NBVAL_IGNORE_OUTPUT
def report(phase, epoch, epochs, logs):
    print(f"  {phase}: epoch {epoch}/{epochs}, validation loss {logs['val_loss']:.5f}")

greedy = greedy_layerwise(plan, data=data, on_epoch=report)
for name in ("outer", "inner", "stacked"):
    phase = getattr(greedy, name)
    how = "loaded from the cache" if phase.from_cache else "trained now"
    print(f"{name:>8}: {how}; recorded training time {phase.info['seconds'][-1]:.1f} s")
"""),
md("""
## 4. The end-to-end baseline

The comparison is notebook 2's tied autoencoder: the same 784-100-30-100-784 architecture and the
same recipe, trained in one piece (it comes from the cache if notebook 2 has run).
"""),
code("""
# NBVAL_IGNORE_OUTPUT
end_to_end = trained_autoencoder(30, tied=True, data=data)
print("loaded from the cache" if end_to_end.from_cache else "trained now",
      f"| recorded training time {end_to_end.info['seconds'][-1]:.1f} s")
"""),
md("""
Both final models are the same kind of object with the same weights layout, so every difference
below comes from how they were trained:
"""),
code("""
final = greedy.stacked.model
for name, model in (("greedy", final), ("end-to-end", end_to_end.model)):
    print(f"{name:>10}: {type(model).__name__}, {model.count_params():,} parameters, "
          f"{shared_variable_count(model)} shared matrices")
same_layout = [w.shape for w in final.get_weights()] == [w.shape for w in end_to_end.model.get_weights()]
print("same weight shapes, in the same order:", same_layout)
"""),
md("""
## 5. Error after each phase, and wall time

Every number here is the mean squared error on all 5,000 validation images. Phase 1's model is
not comparable with the others: it squeezes the images through 100 numbers, not 30, so its error
is naturally lower. It is there to show how much of the work the first layer does on its own.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
checkpoints = greedy.phase_mse()
seconds = greedy.training_seconds()
for label, mse in checkpoints.items():
    print(f"{label:<40} validation MSE {mse:.5f}")
print(f"{'end-to-end (same architecture)':<40} validation MSE {end_to_end.info['valid_mse']:.5f}")
print()
print("recorded training time (s):", ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()),
      f"| greedy total {sum(seconds.values()):.1f} | end-to-end {end_to_end.info['seconds'][-1]:.1f}")
"""),
md("""
On the left, the validation error of each route against the training time it had used so far
(the greedy route's three phases in three colours); on the right, the error at each checkpoint.
"""),
code("""
fig = plots.layerwise_curves_figure(end_to_end.info, greedy_curve(greedy), checkpoints,
                                    end_to_end.info["valid_mse"])
plt.show()
"""),
md("""
How to read it: phase 1's curve should be the lowest, because its bottleneck is 100 numbers wide.
Phase 2's curve is the stack's image error while the inner model learns: now the images pass
through 30 numbers, and the error falls as the inner model gets better at rebuilding the codings
the outer decoder expects. Fine-tuning then lets all layers adjust to each other, which neither
shallow model could do alone. If fine-tuning's first point lies above where phase 2 ended, that is
its learning rate warming up to the recipe's full value and briefly shaking the copied weights.
The time axis includes each phase's compilation, so the greedy route pays that overhead three
times.

## 6. Reconstructions side by side

The top row holds one test image per class; below it, the reconstructions of the end-to-end
model, of the greedy stack before fine-tuning, and after.
"""),
code("""
test_idx = plots.one_per_class(data.y_test)
originals = data.X_test[test_idx]
before_finetuning = stack_autoencoders(greedy.outer.model, greedy.inner.model)
rows = {
    "end-to-end": end_to_end.model.predict(originals, verbose=0),
    "greedy, stacked": before_finetuning.predict(originals, verbose=0),
    "greedy, fine-tuned": final.predict(originals, verbose=0),
}
fig = plots.reconstruction_rows_figure(originals, rows, [data.class_names[c] for c in data.y_test[test_idx]])
plt.show()
"""),
md("""
The cell below puts the comparison into words, using only the numbers measured above (they
depend on the profile, so read them from your own run).
"""),
code("""
# NBVAL_IGNORE_OUTPUT
before = checkpoints["phase 2: stacked, before fine-tuning"]
after = checkpoints["phase 3: stacked, after fine-tuning"]
e2e = end_to_end.info["valid_mse"]
greedy_time, e2e_time = sum(seconds.values()), end_to_end.info["seconds"][-1]
print(f"Stacking alone gives a validation MSE of {before:.5f}; fine-tuning brings it to {after:.5f} "
      f"({100 * (before - after) / before:.0f}% lower).")
print(f"End to end, the same architecture reaches {e2e:.5f}, so the greedy stack's error is "
      f"{100 * abs(after - e2e) / e2e:.1f}% {'lower' if after < e2e else 'higher'} than end-to-end's.")
print(f"Training time: greedy {greedy_time:.0f} s in three phases vs end-to-end {e2e_time:.0f} s "
      f"({greedy_time / e2e_time:.1f}x).")
"""),
md("""
## 7. Why anyone trained autoencoders this way

**When it was necessary.** Until the late 2000s, deep networks trained end to end with
backpropagation mostly failed: with sigmoid or tanh units, small random initial weights and
plain gradient descent, the gradient reaching the lower layers shrank to almost nothing, and the
networks got stuck in poor solutions. Greedy layer-wise pretraining (with restricted Boltzmann
machines in Hinton and Salakhutdinov's 2006 work, then with shallow autoencoders) sidestepped
the problem: each shallow problem is easy to optimise, and the stack it produces is a starting
point from which end-to-end fine-tuning works. It is a large part of why "deep learning" took
off. Then ReLU activations, initialisations scaled to the layer sizes (Glorot, He), adaptive
optimisers such as Adam and Nadam, batch normalisation and residual connections made direct
training of deep networks reliable, and the pretraining step was dropped. Section 5 measured
what the greedy route is still worth against a modern end-to-end recipe on this problem.

**When it is still useful.**

- **Few labels, many unlabelled examples.** Pretraining on all the data without labels, then
  reusing the encoder for a supervised task, is the subject of the next notebook; that is the
  lasting legacy of this idea.
- **Limited memory or compute per step.** Each phase only needs one layer's activations and
  gradients; the later phases can train on stored codings instead of images, which is far
  cheaper (phase 2 here processes 100 numbers per image instead of 784).
- **Growing an existing model.** A new layer can be trained on top of a frozen, already trained
  stack without retraining it, for example when the lower layers are shared or expensive.
- **Understanding a network.** Inspecting what each shallow autoencoder learns on its own is
  easier than untangling a deep model trained in one piece.

## Summary

- Greedy layer-wise training builds a deep autoencoder from shallow ones: each learns to rebuild
  the codings of the previous one, then their weights are copied into one stack.
- Tied weights carry over naturally: each shallow model owns one matrix, and so does each layer
  pair of the stack.
- A quick check (stack output == nested shallow models) proves the assembly before any training.
- The stack as assembled is only a starting point: fine-tuning lets its layers adapt to each
  other. Section 5 compares the result with end-to-end training, in error and in time.
- With today's activations, initialisations and optimisers, end-to-end training is the simpler
  route (one phase, one compilation); layer-wise training survives mainly as unsupervised
  *pretraining*.

## Try this

1. Fine-tune at a lower learning rate (`import dataclasses` first):
   `greedy_layerwise(dataclasses.replace(plan, finetune_lr_factor=0.3), data=data)`. What
   happens to the error after fine-tuning?
2. Skip phase 2's training: stack `greedy.outer.model` with a fresh `StackedAutoencoder((100,),
   (30,), tied=True, output_activation="relu")` and fine-tune that. How much did phase 2 matter?
3. Change the inner activation to linear (`output_activation=None`) and explain the error after
   stacking.
4. Go deeper: write a third shallow autoencoder (30 → 10 → 30) trained on the inner codings and
   extend `stack_autoencoders` to three levels.
"""),
]

# ------------------------------------------------------------------------------------------------
NB04 = [
md("""
# 4 · Reusing the encoder when labels are scarce

Labelling images costs time and money; unlabelled images are cheap. The autoencoders of notebooks
1 and 2 were trained on all 55,000 training images **without ever looking at a label**. Can their
encoders help a classifier that only gets a few labelled images? This is *unsupervised
pretraining*, and this notebook tests it properly: with several label budgets, several random
seeds, and a baseline that has exactly the same architecture and training budget but starts from
random weights.

**What you will learn**

- how to build a classifier from a trained encoder without losing its weights, and why
  `keras.models.clone_model` alone silently would;
- how to train it in two phases: encoder frozen, then unfrozen at a lower learning rate;
- how to draw class-balanced labelled subsets that never touch the validation or test images;
- how to run and read a label-budget study: accuracy against the number of labels, mean ± std
  over seeds, and the gain over a same-architecture baseline;
- where pretraining helps, by how much, and where it stops helping, from the numbers you compute.
"""),
SETUP,
code("""
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from helpers import plots
from helpers.data import load_fashion_mnist
from helpers.models import encoder_classifier
from helpers.pretraining import (METHOD_LABELS, LabelBudgetStudy, balanced_subset,
                                 conclusion_sentences, trainable_counts, weight_reuse_report)
from helpers.training import trained_autoencoder
from helpers.widgets import BudgetExplorer

data = load_fashion_mnist()
print(data.summary())
"""),
md("""
## 1. The pretrained autoencoders

We reuse the two coding-30 autoencoders of notebooks 1 and 2, untied and tied, trained on all
55,000 training images with the suite's recipe (they are loaded from the cache, or trained now if
those notebooks have not run). Their training used the images only.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
ae = trained_autoencoder(30, tied=False, data=data)
tied_ae = trained_autoencoder(30, tied=True, data=data)
for name, cached in (("untied", ae), ("tied", tied_ae)):
    how = "from the cache" if cached.from_cache else "trained now"
    print(f"{name}: validation MSE {cached.info['valid_mse']:.5f} ({how})")
"""),
code("""
for name, cached in (("untied", ae), ("tied", tied_ae)):
    print(f"{name}: {cached.model.count_params():,} parameters; encoder "
          f"{[tuple(w.shape) for w in cached.model.encoder.get_weights()]}")
"""),
md("""
## 2. A classifier on top of the encoder

`encoder_classifier(encoder)` builds `Input → encoder copy → Dense(10, softmax)`. The encoder part
is a new `Sequential` with the same layers as the autoencoder's encoder, into which the trained
weights are **copied**. Two consequences: the classifier starts from what the autoencoder learned,
and training the classifier can never change the autoencoder (they share no variable).
"""),
code("""
clf = encoder_classifier(ae.model.encoder, pretrained=True, freeze=True, seed=0)
for layer in clf.layers:
    print(f"{layer.name:<13} output {str(layer.output.shape):<11} {layer.count_params():>7,} parameters")
"""),
md("""
**Checked: the classifier really holds the trained weights.** The next cell compares the weights
of the classifier's encoder with the autoencoder's, and two things that look similar but are not:
a same-architecture classifier built from a fresh initialisation, and a bare
`keras.models.clone_model(encoder)`.
"""),
code("""
for check, outcome in weight_reuse_report(clf, ae.model, seed=0).items():
    print(f"{check:<52} {outcome}")
largest_gap = max(np.abs(a - b).max() for a, b in
                  zip(clf.get_layer("encoder").get_weights(), ae.model.encoder.get_weights()))
print("largest |difference| between classifier and autoencoder encoder weights:", largest_gap)
"""),
md("""
**Why `clone_model` alone silently fails.** `keras.models.clone_model` rebuilds a model from its
*configuration*: the layer types, sizes and activations. Building those layers creates new
variables, filled by the layers' initialisers, exactly as for a brand-new model. Nothing is copied,
nothing warns, and the clone trains and predicts without complaint, so an experiment that meant to
test pretraining quietly trains from scratch and reports that "pretraining does not help". The
fix is one line, `clone.set_weights(encoder.get_weights())`, which `encoder_classifier` does; the
check above is the cheap way to be sure.

## 3. Two training phases

A freshly initialised softmax head sends large, random gradients backwards. If the encoder were
trainable from the first step, those gradients would start rewriting the pretrained weights before
the head had learned anything useful. So we train in two phases:

1. **encoder frozen**: only the head learns (its 30 × 10 weights and 10 biases);
2. **encoder unfrozen** at a lower learning rate: everything adapts a little to the labels.

Freezing is `classifier.get_layer("encoder").trainable = False` (`set_encoder_trainable` in the
helpers). The number of trainable variables shows which phase we are in:
"""),
code("""
print(trainable_counts(clf))
"""),
md("""
**The baseline** is the same architecture from a random initialisation, trained with the same two
phases: the same number of steps, the same batches and learning rates, except that its encoder is
trainable in both (freezing random weights would only handicap it). Both start from the same head
initialisation and see the same labelled images in the same order, so each pair of runs differs
only in where the encoder's weights came from.

## 4. Labelled subsets

The labelled pool is the training split (55,000 images). A budget of *n* labels means *n* images
from it, the same number per class (*n*/10; a remainder is spread one by one over classes), drawn
with a seed. Validation and test images are never in the pool. Subsets of the same seed are
nested (the 100-label subset contains the 50-label one), so along a curve the labelled sets grow
rather than change completely.
"""),
code("""
subset = balanced_subset(data.y_train, 500, seed=0)
print("500 labels, per class:", np.bincount(data.y_train[subset], minlength=10).tolist())
print("same seed, same subset:", np.array_equal(subset, balanced_subset(data.y_train, 500, seed=0)))
print("another seed, another subset:", not np.array_equal(subset, balanced_subset(data.y_train, 500, seed=1)))

def image_set(images):
    return {image.tobytes() for image in images}

chosen = image_set(data.X_train[subset])
print("images shared with validation:", len(chosen & image_set(data.X_valid)),
      "| with test:", len(chosen & image_set(data.X_test)))
"""),
md("""
Budgets that cannot be honoured are refused with the reason, never silently adjusted:
"""),
code("""
for budget in (0, 60_000, 5, 54_990):
    try:
        balanced_subset(data.y_train, budget, seed=0)
    except ValueError as err:
        print(f"{budget:>6}: {err}")
"""),
md("""
## 5. The label-budget study

For every budget and seed, three runs share one labelled subset: from scratch, from the untied
autoencoder's encoder, and from the tied one's. Each pretrained run yields two results: after the
frozen phase ("frozen") and after fine-tuning ("fine-tuned"). Accuracy is always measured on all
10,000 test images, which no run ever trains on.

Every run has the same fixed budget of optimisation steps, whatever its number of labels. That
keeps the cost of a run constant (a 55,000-label run costs what a 50-label run costs) and makes
scratch and pretrained runs directly comparable. The price: with all labels, the budget amounts to
only a couple of passes over the data, so the right end of the curves shows what a short training
reaches, not the best these models can do.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
study = LabelBudgetStudy(data)
print("budgets:", ", ".join(study.budget_label(b) for b in study.budgets))
print("seeds:", study.seeds)
print("each run:", study.plan.describe())
"""),
md("""
Each result is cached (per budget, seed and starting point) with its 10,000 test predictions, so
a second run of this notebook, and the explorer at the end, recompute nothing. The bar counts the
runs while the study fills in.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
bar = widgets.IntProgress(min=0, max=1, description="runs")
label = widgets.HTML()
display(widgets.HBox([bar, label]))

def on_run(done, total, key):
    bar.max, bar.value = total, done
    label.value = f"{done}/{total}: {key[0]:,} labels, seed {key[1]}, {key[2]}"

start = time.perf_counter()
trained = study.run_all(on_run)
print(f"{bar.max} runs: {trained} trained now, {bar.max - trained} from the cache, "
      f"{time.perf_counter() - start:.0f} s")
"""),
md("""
Before reading any accuracy: the runs themselves confirm the freezing worked. For one seed at 500
labels, the number of trainable variables in each phase:
"""),
code("""
for source in ("scratch", "untied", "tied"):
    run = study.run(500, study.seeds[0], source)
    print(f"{source:>8}: trainable variables per phase {[p['trainable_variables'] for p in run['phases']]}, "
          f"encoder trainable {[p['encoder_trainable'] for p in run['phases']]}")
"""),
md("""
### Results

Test accuracy (%), mean ± standard deviation over the seeds:
"""),
code("""
# NBVAL_IGNORE_OUTPUT
print(study.table_text())
"""),
md("""
The same numbers as curves: one line per method, with error bars of one standard deviation, on a
logarithmic axis of labels.
"""),
code("""
main_methods = ("scratch", "frozen", "fine-tuned", "tied fine-tuned")
summary = study.summary()
fig = plots.accuracy_vs_labels_figure({m: summary[m] for m in main_methods}, METHOD_LABELS,
                                      study.budgets, study.pool_size)
plt.show()
"""),
md("""
Differences between methods are easier to judge as paired gains: for each seed, the pretrained
run's accuracy minus the scratch run's on the same subset. Dots are single seeds, lines their mean
± std; above zero, pretraining won.
"""),
code("""
colours = {m: f"C{main_methods.index(m)}" for m in main_methods}
gains = {m: study.paired_gains(m) for m in ("frozen", "fine-tuned", "tied fine-tuned")}
fig = plots.gain_vs_labels_figure(gains, METHOD_LABELS, study.budgets, study.pool_size, colours)
plt.show()
"""),
md("""
### What the numbers say

The next cell writes the conclusion from the results above, sentence by sentence ("ahead" means
ahead on every seed, "mixed" that the seeds disagree). The numbers depend on the profile: in the
quick profile the autoencoders and classifiers are trained far too briefly to judge anything.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
for sentence in conclusion_sentences(study):
    print(sentence)
"""),
md("""
A few things to look for in your own results, and what lies behind them:

- **The frozen encoder's ceiling.** Frozen, the classifier is a linear model on 30 numbers that
  were chosen to redraw pixels, not to tell a shirt from a T-shirt. Watch how its curve behaves as
  the labels grow, compared with the methods that may change the encoder.
- **Small budgets.** This is where a pretrained starting point can be worth most: with 50 labels
  there is very little to learn the encoder's 81,530 parameters from, while the autoencoder learned them
  from 55,000 images. Compare any gain with the spread between seeds (the dots in the second plot)
  before believing it.
- **Many labels.** With enough labels, the labels themselves say more about the task than the
  autoencoder's starting point does. Where the pretrained runs fall behind, remember this study's
  design: every run has the same fixed number of steps, and a pretrained run spends its first half
  training the head alone, while the baseline trains everything from the first step.
- **Tied or untied.** The two encoders have the same shape; their curves show whether tying, which
  halves the autoencoder's parameters, changes how useful the encoder is as a starting point.

Keep in mind what this study does *not* vary: one architecture, one coding size (30), one
training recipe for the classifiers, and a plain autoencoder as the pretraining task. Notebook 5
tries a denoising autoencoder instead.

## 6. Explore it: the label-budget explorer

The slider picks a budget and the menu a method; the picture shows the accuracy curves with that
budget marked (the red ring is the run shown), the run's confusion matrix (rows: true class;
colours: share of the row), and test images it got wrong with the predicted and true labels. The
run shown is the first seed's. Results come from the cache; a budget typed in the box that the
study did not cover is trained on the spot while the progress bar moves (a few seconds). An
impossible budget (zero, more than 55,000, fewer than one per class, or too many to balance)
shows the reason instead.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
explorer = BudgetExplorer(study, method="fine-tuned")
explorer
"""),
md("""
Try the confusion matrices at 50 labels and at all labels: which pairs of classes stay confused
however many labels there are, and do the frozen and fine-tuned encoders confuse the same ones?

## Summary

- A classifier reuses a trained encoder by copying its weights into a new encoder; a checked cell
  proves the copy, and a bare `clone_model` would have silently re-initialised it.
- Two phases protect the pretrained weights from the untrained head: frozen first, then unfrozen
  at a lower learning rate. The trainable-variable counts (2, then 6) show which phase runs.
- An honest comparison needs class-balanced subsets disjoint from the test set, several seeds, and
  a baseline with the same architecture and training budget.
- The study's own numbers, printed above, say where pretraining helped and where it stopped
  helping; read them, including the spread between seeds, rather than a single run.

## Try this

1. Re-run the study with more steps per phase (`import dataclasses` first):
   `LabelBudgetStudy(data, plan=dataclasses.replace(study.plan, steps=1000))`. Does the picture
   with many labels change? (It trains every run again, for about twice the time.)
2. Add seeds: `LabelBudgetStudy(data, seeds=(0, 1, 2, 3, 4))` reuses the cached ones and trains
   only the new ones. Do the "mixed" verdicts settle?
3. Skip the frozen phase for a pretrained encoder: call
   `study.trainer().run(weights, subset, seed, freeze_first=False)` with
   `weights = encoder_classifier(ae.model.encoder, seed=0).get_weights()` and compare.
4. Type budgets such as 20 or 30 into the explorer: how few labels does it take before the
   pretrained encoder's advantage becomes clear, if it does?
"""),
]


def write(cells, name):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    path = ROOT / "notebooks" / name
    nbformat.write(nb, path)
    print("wrote", path.relative_to(ROOT))


if __name__ == "__main__":
    write(NB03, "03_one_autoencoder_at_a_time.ipynb")
    write(NB04, "04_encoder_reuse.ipynb")
