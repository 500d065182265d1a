"""Writes notebooks 01 and 02 (cells only, no outputs). Not needed at run time.

    .venv/bin/python tools/build_notebooks_01_02.py
    AE_PROFILE=full .venv/bin/python -m helpers.execute notebooks/01_stacked_autoencoder.ipynb \
        notebooks/02_tied_weights.ipynb

Re-running it discards the stored outputs, so execute the notebooks again afterwards.
Tags: ``raises-exception`` (nbclient and nbval expect the error) and
``dense-transpose-class`` (tests/test_notebook02_layer.py runs that cell's class).
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def md(text):
    return new_markdown_cell(text.strip("\n"))


def code(text, tags=None):
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


SETUP = code("""
# NBVAL_IGNORE_OUTPUT
import helpers

profile = helpers.setup_notebook()  # seeds, quiet logs, plot style; prints versions + profile
""")

# ------------------------------------------------------------------------------------------------
NB01 = [
md("""
# 1 · A stacked autoencoder on Fashion-MNIST

An **autoencoder** is a network trained to copy its input to its output through a narrow middle
layer. The middle layer, the **codings**, is much smaller than the image, so the network cannot
simply pass the pixels through: it has to discover a compact description of clothing images
that is good enough to redraw them. No labels are needed; each image is its own target.

**What you will learn**

- how a *stacked* (deep) autoencoder is assembled in Keras 3: flatten, dense layers, a coding
  layer, a mirrored decoder and a reshape;
- how to train it quickly and read its learning curves;
- why its reconstructions look blurry;
- what its 30-number codings capture, by projecting them onto a plane;
- how the size of the codings trades compression against quality, with an interactive explorer.

**Before you run it.** Trained models are cached on disk (`~/.cache/stacked-ae-notebooks`, or
`$AE_CACHE_DIR`). The first run trains them, which takes a few minutes on a laptop CPU; later
runs load them in seconds. `AE_PROFILE=quick` trains on 5,000 images for at most 2 epochs: use
it to check that everything runs, not to judge the results.
"""),
SETUP,
code("""
import matplotlib.pyplot as plt
import numpy as np

from helpers import plots
from helpers.data import load_fashion_mnist
from helpers.models import dead_codings, stacked_autoencoder
from helpers.training import FAST, trained_autoencoder
from helpers.widgets import EXPLORER_RECIPE, CodingSizeExplorer, EpochProgress
"""),
md("""
## 1. The data

Fashion-MNIST holds 70,000 greyscale pictures of clothes, 28 × 28 pixels each, in 10 classes.
`load_fashion_mnist` finds the files on this machine, verifies their checksums and returns the
split used throughout the suite: 55,000 training, 5,000 validation and 10,000 test images, with
pixel values scaled to the range [0, 1].
"""),
code("""
data = load_fashion_mnist()
print(data.summary())
print("classes:", ", ".join(data.class_names))
"""),
md("""
The grid shows the first 20 training images with their class names. The autoencoder never sees
these names; we only use them to interpret what it learns.
"""),
code("""
fig = plots.image_grid_figure(data.X_train[:20], data.y_train[:20], data.class_names)
plt.show()
"""),
md("""
## 2. The model: 784 → 100 → 30 → 100 → 784

`stacked_autoencoder(coding_size=30)` builds the network in two halves, an **encoder** and a
**decoder**, each a small `keras.Sequential`:

- **Flatten** turns each 28 × 28 image into a vector of 784 numbers, because dense layers work
  on vectors.
- **Dense(100, ReLU)** then **Dense(30, ReLU)** form the encoder. Each one squeezes the
  description further. The output of the second one is the **coding**: 30 numbers per image,
  26 times fewer than the pixels.
- **Dense(100, ReLU)** then **Dense(784)** form the decoder, the encoder's mirror image. The last
  layer has no activation, so it can output any value; the loss pulls each value towards the
  matching input pixel.
- **Reshape** turns the 784 outputs back into a 28 × 28 image, so that output and input can be
  compared pixel by pixel.

Stacking several layers on each side is what makes it a *stacked* autoencoder: each layer can
build on the features found by the one before.
"""),
code("""
model = stacked_autoencoder(coding_size=30)
for part in (model.encoder, model.decoder):
    for layer in part.layers:
        print(f"{part.name:>8} | {type(layer).__name__:<8} output {str(layer.output.shape):<13}"
              f"{layer.count_params():>8,} parameters")
print(f"{'total':>8} | {model.count_params():,} parameters")
"""),
md("""
Most parameters sit in the two layers that touch the pixels (784 × 100 weights each). Passing
three images through the untrained model shows the shapes at each stage:
"""),
code("""
images = data.X_valid[:3]
codings = model.encoder(images)
print("images:", images.shape, "-> codings:", tuple(codings.shape),
      "-> reconstructions:", tuple(model.decoder(codings).shape))
"""),
md("""
## 3. Training

The loss is the mean squared error (MSE) between each image and its reconstruction: the input is
also the target. The suite trains with its **FAST** recipe, summed up in one sentence by
`Recipe.describe()`:
"""),
code("""
print(FAST.describe())
"""),
md("""
Larger batches and compiled training steps make each epoch cheaper; a learning rate that warms
up and then decays along a cosine lets the larger batches learn fast without diverging. The
last ingredient makes each epoch count: the decoder's **output layer starts at zero** instead
of at random weights. Why it matters: at the
start, a random decoder turns every coding into noise on the output, so the first gradients tell
the encoder to switch codings *off*. A ReLU coding that is zero for every image gets no gradient
ever again: it is **dead**, and the model goes on with fewer than 30 codings. From a random
start, some seeds lose a third or more of the 30 codings this way in the first epochs (the
benchmark in the README counts them for both starts). Starting from zero, the decoder first
learns the average image and then takes up the codings as they become useful. Together this reaches the textbook's validation error in a
fraction of its time. The textbook's own recipe is available by name: pass `recipe="book"` to
`trained_autoencoder` (`helpers.training.BOOK.describe()` spells it out).

`trained_autoencoder` looks the model up in the on-disk cache, keyed on everything that
determines it (architecture, recipe, seed, profile and the data's checksum), and trains and
stores it only when it is missing. The bar below shows the epochs while it trains.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
progress = EpochProgress("784-100-30-100-784 autoencoder")
ae = trained_autoencoder(coding_size=30, tied=False, recipe="fast", data=data, on_epoch=progress)
print(progress.finish(ae))
print(f"validation MSE on all 5,000 validation images: {ae.info['valid_mse']:.4f} "
      "(the book's recipe: about 0.0133)")
"""),
md("""
How many of the 30 codings did training keep alive? `dead_codings` counts those that are zero
for every validation image.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
print(f"dead codings: {dead_codings(ae.model, data.X_valid)} of {ae.model.coding_size}")
"""),
md("""
The learning curves show the error per epoch on the training images (dashed) and on the
validation images (solid), on a log scale.
"""),
code("""
fig = plots.learning_curves_figure({"coding size 30": ae.info})
plt.show()
"""),
md("""
The error drops steeply in the first epochs and then levels off as the learning rate decays.
The two curves stay close together, so the model is not memorising its training images: what
limits it is the 30-number bottleneck.

## 4. Reconstructions

Below, the top row holds one test image per class (images the model never trained on) and the
bottom row what the autoencoder redrew from their 30-number codings.
"""),
code("""
test_idx = plots.one_per_class(data.y_test)
originals = data.X_test[test_idx]
reconstructions = ae.model.predict(originals, verbose=0)
titles = [data.class_names[c] for c in data.y_test[test_idx]]
fig = plots.reconstruction_rows_figure(originals, {"reconstruction": reconstructions}, titles)
plt.show()
"""),
md("""
**Why blurry?** The shapes and overall brightness survive, but prints, logos, stitching and
texture are gone. Thirty numbers cannot record where every edge is. And under a squared-error
loss, when the decoder cannot tell where a detail should be, the output that costs least on
average is the *average* of the possibilities; an average of many sharp images is a blurry one.
"""),
md("""
## 5. The coding space

Each image is now described by 30 numbers. To look at those codings we project them onto the
two directions along which they vary most: **principal component analysis** (PCA).
`plots.pca_project` does it with NumPy alone: subtract the mean coding, take the singular value
decomposition of the centred matrix, and use its first two right-singular vectors as axes.
"""),
code("""
valid_codings = ae.model.encoder.predict(data.X_valid, verbose=0)
points, explained = plots.pca_project(valid_codings, n_components=2)
print("codings:", valid_codings.shape, "-> projected:", points.shape)
"""),
md("""
Each dot is one of the 5,000 validation images, placed by its projected coding and coloured by
its class (which the autoencoder never saw); thumbnails show the real images at a sparse set of
points, so you can see what each region holds.
"""),
code("""
title = (f"30-d codings of the validation images, first two principal components "
         f"({explained.sum():.0%} of the variance)")
fig = plots.coding_space_figure(points, data.y_valid, data.class_names, images=data.X_valid,
                                title=title)
plt.show()
"""),
md("""
Garments that look alike land close together even though no labels were used: footwear has its
own region, and trousers and bags sit apart from the tops, while T-shirts, pullovers, coats and
shirts overlap, just as they resemble each other in pixel space. A flat projection throws away
much of the 30-d structure; a non-linear method such as t-SNE separates the groups more, at the
price of distorting distances.
"""),
md("""
## 6. How small can the codings be? The coding-size explorer

A smaller coding compresses more but reconstructs worse. The explorer below holds one
autoencoder per coding size: 2, 5, 10, 20, 30, 50 and 100. So that the first run of this notebook
stays within a few minutes, these seven models use a shortened recipe:
"""),
code("""
print(EXPLORER_RECIPE.describe())
"""),
md("""
Their errors are therefore a little higher than the 20-epoch model above, including at coding
size 30; the trend across sizes is what the explorer is for. The next cell loads the seven
models from the cache, training any that are missing (the bar counts them).
"""),
code("""
# NBVAL_IGNORE_OUTPUT
explorer = CodingSizeExplorer(data=data)
report = explorer.warm_up()
print(report["summary"])
"""),
md("""
Move the slider with the mouse, or click it and use the arrow keys. On the left are the ten test
images from above (top) and their reconstructions by the model with that coding size (bottom).
On the right is the validation MSE of every explorer model against its coding size (log scale),
with the current one circled in red. If a model is missing from the cache it is trained on the
spot while the progress bar moves; if it cannot be built, the message area says why.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
explorer
"""),
md("""
With 2 numbers only a rough silhouette survives: in the full profile the dress comes back as a
pair of trousers and the sandal as a sneaker. The error falls steeply up to about 10 numbers and more slowly after
that: on the logarithmic axis the curve is close to a straight line, so every *doubling* of the
coding buys a similar, modest gain. At 100 the coding is as wide as the hidden layers around it,
so it is no longer the narrowest point of the network.

## Summary

- A stacked autoencoder is an encoder (784 → 100 → 30) and a mirrored decoder (30 → 100 → 784)
  trained to reproduce its input under a squared-error loss; no labels are involved.
- With the FAST recipe it reaches the textbook's validation error in a fraction of the time; the
  book's recipe stays available as `recipe="book"`. Part of the gain is a zero start for the
  decoder's output layer, which keeps ReLU codings from dying in the first epochs.
- Reconstructions are blurry because the coding is small and because MSE rewards averaging
  uncertain details.
- The codings group similar garments together even without labels.
- Larger codings reconstruct better, with quickly diminishing returns.

## Try this

1. Which test images does the model reconstruct worst? Compute the per-image error
   `((ae.model.predict(data.X_test, verbose=0) - data.X_test) ** 2).mean(axis=(1, 2))` and look
   at the 10 largest. What do they have in common?
2. Train with `trained_autoencoder(coding_size=30, recipe="book", data=data)` (same seed as
   `ae`) and compare the training time (`.info["seconds"]`), the validation MSE and
   `dead_codings` with the FAST model `ae`. Then isolate the zero start with
   `recipe="fast-random-start"`: the FAST recipe with the book's random start. Try other seeds
   (`seed=0`, `1`, `2`) for both: which recipe's result depends more on the seed?
3. Look at the third and fourth principal components: `plots.pca_project(valid_codings, 4)`,
   then plot columns 2 and 3. Which classes do they separate?
4. Make a coding-size explorer with sizes of your own, e.g.
   `CodingSizeExplorer(sizes=(3, 8, 16), data=data)`, and call `.warm_up()` on it.
5. Feed the decoder a coding halfway between those of a sandal and a sneaker
   (`ae.model.decoder(...)`). Is the result a plausible shoe?
"""),
]

# ------------------------------------------------------------------------------------------------
NB02 = [
md("""
# 2 · Tied weights: a decoder that reuses the encoder's weights

In notebook 1 the decoder had its own weights, learned independently from the encoder's. A
symmetric autoencoder can instead **tie** them: each decoder layer uses the transposed weight
matrix of its mirror encoder layer. This notebook builds the layer that does it, checks that the
tie is real, and compares tied and untied autoencoders.

**What you will learn**

- the tying rule, and why it is worth using;
- why the textbook's tied layer no longer runs on Keras 3, and how to write one that does;
- how to *prove* that two layers share one variable (parameter counts, object identity,
  arithmetic, gradients);
- how tied and untied autoencoders compare in size, speed and error;
- how to save and reload a tied model without losing the tie;
- what the shared first-layer weights look like.
"""),
SETUP,
code("""
import tempfile
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from keras import ops

from helpers import plots
from helpers.data import load_fashion_mnist
from helpers.layers import DenseTranspose
from helpers.models import dead_codings, shared_variable_count, stacked_autoencoder
from helpers.training import FAST, trained_autoencoder
from helpers.widgets import CodingSizeExplorer, EpochProgress

data = load_fashion_mnist()
"""),
md(r"""
## 1. The tying rule

Number the dense layers of a symmetric autoencoder $1, \dots, N$ (here $N = 4$: two in the
encoder, two in the decoder). Layer $L$ has a weight matrix $W_L$ of shape
$n_{L-1} \times n_L$ (inputs × units). Its mirror, layer $N - L + 1$, maps $n_L$ values back to
$n_{L-1}$, so its matrix has exactly the transposed shape. Tying means using that transpose
instead of a new matrix:

$$W_{N-L+1} = W_L^{\top}, \qquad L = 1, \dots, N/2.$$

Here that gives $W_4 = W_1^{\top}$ ($100 \times 784$) and $W_3 = W_2^{\top}$ ($30 \times 100$).
Only the weights are shared; each decoder layer keeps its own bias, since its output size differs
from its mirror's.

**Why tie?**

- It **halves the weights**: the decoder borrows its matrices, so the model has about half as
  many parameters.
- It can **speed up training**: half as many weights to update and to keep optimizer state
  for. (The matrix products stay the same size, so on a CPU the gain per epoch is modest; the
  table in section 5 measures it.)
- It **limits overfitting**: with fewer free parameters, the model has less room to memorise.
- Each matrix now gets a training signal from both directions, encoding and decoding.
"""),
md("""
## 2. Why the book-era layer breaks on Keras 3

The textbook's version of this layer read the number of inputs of the encoder's `Dense` from its
`input_shape` attribute. Keras 3 (TensorFlow 2.16 and later) removed that attribute from layers,
so the old code stops at once. This cell is expected to raise:
"""),
code("""
# This cell is meant to fail: its tag "raises-exception" (nbval's NBVAL_RAISES_EXCEPTION)
# tells the notebook runner and nbval to expect the error.
encoder_dense = keras.layers.Dense(100, activation="relu", name="enc_dense")
encoder_dense.build((None, 784))
encoder_dense.input_shape
""", tags=["raises-exception"]),
md("""
The information is still there, in the kernel: a `Dense` layer's kernel has shape
(inputs, units).
"""),
code("""
print("kernel shape:", tuple(encoder_dense.kernel.shape),
      "-> inputs:", encoder_dense.kernel.shape[0], "| units:", encoder_dense.kernel.shape[1])
"""),
md("""
That is not the only thing Keras 3 changed. Writing a tied layer that works today takes four
decisions:

1. **Read sizes from the kernel**, not from `input_shape` (above).
2. **Pass weight shapes as tuples.** `add_weight(shape=784)` fails in Keras 3; it needs `(784,)`.
3. **Keep a plain reference to the encoder layer.** If we store it as an ordinary attribute,
   Keras *tracks* it as part of the decoder layer, and the decoder then claims the encoder's
   kernel, and even its unused bias, as its own. The cell below shows this.
4. **Save the model, not the layer.** A layer's config cannot point at another layer, so a
   decoder layer saved on its own would come back with a new, untied matrix. The model that owns
   both sides has to rebuild the tie when it is loaded (section 5).
"""),
code("""
class TrackedTranspose(keras.layers.Layer):
    \"\"\"A first attempt: stores the encoder layer as an ordinary (tracked) attribute.\"\"\"

    def __init__(self, dense, **kwargs):
        super().__init__(**kwargs)
        self.dense = dense  # Keras tracks this as a sub-layer

    def build(self, input_shape):
        n_inputs = self.dense.kernel.shape[0]
        self.bias = self.add_weight(name="bias", shape=(n_inputs,), initializer="zeros")

    def call(self, inputs):
        return ops.matmul(inputs, ops.transpose(self.dense.kernel)) + self.bias


attempt = TrackedTranspose(encoder_dense, name="attempt")
attempt.build((None, 100))
print("variables the decoder layer claims:", [v.path for v in attempt.weights])
print(f"parameters it claims: {attempt.count_params():,} (it only owns its 784 biases)")
"""),
md("""
## 3. `DenseTranspose`, step by step

Putting the four decisions together. Read it top to bottom:

- `__init__` keeps the encoder's `Dense` with `object.__setattr__`, which bypasses Keras'
  attribute tracking: the decoder layer *uses* the kernel but does not *own* it.
- `kernel` returns the encoder's variable itself, never a copy.
- `build` reads the output size off the kernel (so the encoder must be built first) and creates
  the only weight this layer owns: a bias with shape `(n_inputs,)`.
- `call` computes `activation(inputs @ Wᵀ + b)`, reading the kernel at call time, so it always
  sees the encoder's current values.
"""),
code("""
class MyDenseTranspose(keras.layers.Layer):
    \"\"\"activation(inputs @ dense.kernel.T + bias), with the kernel borrowed from `dense`.\"\"\"

    def __init__(self, dense, activation=None, **kwargs):
        super().__init__(**kwargs)
        object.__setattr__(self, "_dense", dense)  # a plain reference: not tracked, not saved
        self.activation = keras.activations.get(activation)

    @property
    def kernel(self):
        return self._dense.kernel  # the encoder's variable itself

    def build(self, input_shape):
        n_inputs = self._dense.kernel.shape[0]  # read off the kernel, not input_shape
        self.bias = self.add_weight(name="bias", shape=(n_inputs,), initializer="zeros")

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, ops.transpose(self._dense.kernel)) + self.bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self._dense.kernel.shape[0])
""", tags=["dense-transpose-class"]),
md("""
The suite's `helpers.layers.DenseTranspose` is the same layer plus clear error messages (an
unbuilt encoder, a wrong input width) and a `get_config` that explains what to save instead.
Given the same encoder layer, the same bias and the same inputs, the two must agree
(`tests/test_notebook02_layer.py` runs the class above to keep it that way):
"""),
code("""
mine = MyDenseTranspose(encoder_dense, activation="relu", name="mine")
helper = DenseTranspose(encoder_dense, activation="relu", name="helper")
mine.build((None, 100))
helper.build((None, 100))
rng = np.random.default_rng(0)
bias = rng.normal(size=784).astype("float32")
mine.bias.assign(bias)
helper.bias.assign(bias)
x = rng.normal(size=(8, 100)).astype("float32")
print("same kernel variable:", mine.kernel is helper.kernel is encoder_dense.kernel)
print("variables each owns: ", [v.path for v in mine.weights], [v.path for v in helper.weights])
print("same outputs:        ", np.allclose(mine(x), helper(x), atol=1e-6))
"""),
md("""
## 4. Proving the tie

`stacked_autoencoder(30, tied=True)` builds the same 784 → 100 → 30 → 100 → 784 network as in
notebook 1, with `DenseTranspose` layers in the decoder. Four checks, each one printed.

**The parameter count halves (almost).** The tied model drops the two decoder matrices
(100 × 784 and 30 × 100) and keeps every bias:
"""),
code("""
untied = stacked_autoencoder(coding_size=30, tied=False)
tied = stacked_autoencoder(coding_size=30, tied=True)
print(f"untied: {untied.count_params():>7,} parameters")
print(f"tied:   {tied.count_params():>7,} parameters")
print(f"difference: {untied.count_params() - tied.count_params():,} = 100*784 + 30*100 = "
      f"{100 * 784 + 30 * 100:,}")
"""),
md("""
**The decoder's kernel *is* the encoder's variable**: the same Python object, not an equal copy.
The decoder owns nothing but its two biases.
"""),
code("""
dense_1, dense_2 = tied.encoder.get_layer("dense_1"), tied.encoder.get_layer("dense_2")
dec_1, dec_2 = tied.decoder.get_layer("dense_2_transpose"), tied.decoder.get_layer("dense_1_transpose")
print("decoder layer 1 uses dense_2's kernel:", dec_1.kernel is dense_2.kernel)
print("decoder layer 2 uses dense_1's kernel:", dec_2.kernel is dense_1.kernel)
print("variables the decoder owns:", [v.path for v in tied.decoder.weights])
print("variables shared across the model:", shared_variable_count(tied))
"""),
md("""
**The layer computes x·Wᵀ + b.** Redoing the first decoder layer by hand with NumPy (with a
random bias, so the bias really takes part):
"""),
code("""
rng = np.random.default_rng(1)
dec_1.bias.assign(rng.normal(scale=0.1, size=100).astype("float32"))
codings = rng.random((5, 30)).astype("float32")
W, b = dense_2.kernel.numpy(), dec_1.bias.numpy()  # W has shape (100, 30)
by_hand = np.maximum(codings @ W.T + b, 0)          # ReLU(x W^T + b)
print("W shape:", W.shape, "| output shape:", by_hand.shape)
print("layer output == ReLU(x @ W.T + b):", np.allclose(dec_1(codings), by_hand, atol=1e-6))
"""),
md("""
Because the decoder reads the variable at call time, changing the encoder's kernel changes the
decoder's output immediately:
"""),
code("""
before = dec_1(codings).numpy()
saved = dense_2.kernel.numpy()
dense_2.kernel.assign(saved * 2.0)
print("decoder output changed after editing the encoder:", not np.allclose(dec_1(codings), before))
dense_2.kernel.assign(saved)
print("and is back after restoring it:", np.allclose(dec_1(codings), before))
"""),
md("""
**The shared kernel gets gradient from both sides.** Make an *untied* twin that computes exactly
the same function: same encoder weights, and decoder matrices set to the transposes. In the twin,
$W_1$ and its transpose are two separate variables, each with its own gradient. In the tied model
they are one variable, so by the chain rule its gradient must be the sum of the two:
$\\nabla_{W_1}^{\\text{tied}} = \\nabla_{W_1}^{\\text{twin}} + (\\nabla_{W_4}^{\\text{twin}})^{\\top}$.
"""),
code("""
twin = stacked_autoencoder(coding_size=30, tied=False)
(w1, b1, w2, b2), (c2, c1) = tied.encoder.get_weights(), tied.decoder.get_weights()
twin.encoder.set_weights([w1, b1, w2, b2])
twin.decoder.set_weights([w2.T, c2, w1.T, c1])
batch = data.X_valid[:64]
print("twin computes the same reconstructions:", np.allclose(tied(batch), twin(batch), atol=1e-5))


def gradients(model, x):
    \"\"\"{variable path: gradient of the reconstruction MSE} for one batch.\"\"\"
    with tf.GradientTape() as tape:
        loss = ops.mean((model(x) - x) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    return {v.path: g.numpy() for v, g in zip(model.trainable_variables, grads)}


g_tied, g_twin = gradients(tied, batch), gradients(twin, batch)
from_encoder = g_twin["encoder/dense_1/kernel"]       # W1's use in the encoder
from_decoder = g_twin["decoder/dense_4/kernel"].T     # W1's use (transposed) in the decoder
shared = g_tied["encoder/dense_1/kernel"]
print("both uses contribute (non-zero):", bool(np.abs(from_encoder).sum() > 0 and np.abs(from_decoder).sum() > 0))
print("tied gradient == encoder part + decoder part:", np.allclose(shared, from_encoder + from_decoder, rtol=1e-4, atol=1e-7))
print("tied gradient == encoder part alone:         ", np.allclose(shared, from_encoder, rtol=1e-4, atol=1e-7))
"""),
md("""
## 5. Training tied and untied side by side

Both models use the same FAST recipe and seed. The untied one is the model from notebook 1, so it
comes straight from the cache if you ran that notebook first.
"""),
code("""
print(FAST.describe())
"""),
code("""
# NBVAL_IGNORE_OUTPUT
runs = {}
for kind in ("untied", "tied"):
    progress = EpochProgress(f"{kind} autoencoder, coding size 30")
    runs[kind] = trained_autoencoder(coding_size=30, tied=(kind == "tied"), data=data, on_epoch=progress)
    print(progress.finish(runs[kind]))
"""),
md("""
Both learning curves on one figure (training dashed, validation solid, log scale). The table
after the reconstructions says which model ends lower, and by how much. One difference between
the two is worth knowing when you read it: FAST starts an untied decoder's output layer at zero,
which keeps codings alive (notebook 1), and a tied decoder cannot start that way, because its
last layer borrows the encoder's kernel.
"""),
code("""
fig = plots.learning_curves_figure({kind: run.info for kind, run in runs.items()},
                                   title="Tied vs untied, coding size 30")
plt.show()
"""),
md("""
The same test images (top row), rebuilt by each model: the two decoders blur the same details.
"""),
code("""
test_idx = plots.one_per_class(data.y_test)
originals = data.X_test[test_idx]
rows = {kind: run.model.predict(originals, verbose=0) for kind, run in runs.items()}
fig = plots.reconstruction_rows_figure(originals, rows, [data.class_names[c] for c in data.y_test[test_idx]])
plt.show()
"""),
md("""
The numbers, computed from each model and its training record. *Seconds per epoch* is the
median over epochs after the first, which also includes compiling the training step; both
models were trained on the same machine, possibly while it was busy, so treat small differences
with care.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
print(f"{'model':<8}{'parameters':>12}{'s / epoch':>11}{'epochs':>8}{'valid MSE':>11}")
for kind, run in runs.items():
    per_epoch = np.median(np.diff(run.info["seconds"])) if len(run.info["seconds"]) > 1 else run.info["seconds"][0]
    print(f"{kind:<8}{run.model.count_params():>12,}{per_epoch:>11.2f}{len(run.info['loss']):>8}"
          f"{run.info['valid_mse']:>11.5f}")
gap = runs["tied"].info["valid_mse"] / runs["untied"].info["valid_mse"] - 1
print(f"\\nThe tied model's validation MSE is {abs(gap):.0%} {'higher' if gap > 0 else 'lower'} "
      "than the untied one's, with half the parameters.")
"""),
md("""
## 6. Saving and reloading a tied model

`DenseTranspose` refuses to be saved on its own (its kernel belongs to another layer). The model
class `StackedAutoencoder` owns both halves, so its config is enough to rebuild the tie: on
loading, Keras creates the encoder, creates the decoder tied to it, and then fills in the one
stored copy of each matrix.
"""),
code("""
tied_model = runs["tied"].model
path = Path(tempfile.mkdtemp()) / "tied_autoencoder.keras"
tied_model.save(path)
reloaded = keras.models.load_model(path)

enc, dec = reloaded.encoder.get_layer("dense_1"), reloaded.decoder.get_layer("dense_1_transpose")
sample = data.X_test[:200]
print("reloaded class:", type(reloaded).__name__, "| tied:", reloaded.tied)
print(f"parameters: {reloaded.count_params():,}")
print("tie survives (same variable):", dec.kernel is enc.kernel, "| shared variables:", shared_variable_count(reloaded))
print("same predictions:", np.allclose(tied_model.predict(sample, verbose=0), reloaded.predict(sample, verbose=0), atol=1e-6))
"""),
md("""
The reloaded tie is live, not just equal values: editing the reloaded encoder's kernel changes
the reloaded decoder's output.
"""),
code("""
codings = reloaded.encoder(sample[:5])
before = reloaded.decoder(codings).numpy()
enc.kernel.assign(enc.kernel.numpy() * 0.5)
print("decoder follows the encoder after reloading:", not np.allclose(reloaded.decoder(codings), before))
"""),
md("""
## 7. What the shared weights look like

Column $j$ of $W_1$ (784 × 100) can be drawn as a 28 × 28 image. In a tied model each of these
100 images has **two jobs at once**:

- **encoder feature**: hidden unit $j$ responds to an image $x$ through $x \\cdot w_j$, so $w_j$ is
  the pattern that unit looks for (red pixels push it up, blue ones down);
- **decoder basis image**: the last decoder layer computes $\\sum_j h_j\\, w_j + b$, so $w_j$ is
  also the picture the decoder adds to its output, weighted by how active unit $j$ is.

Below are the 100 columns of the trained tied model, each on its own colour scale.
"""),
code("""
W1 = tied_model.encoder.get_layer("dense_1").kernel.numpy()
print("W1:", W1.shape, "-> 100 images of 28 x 28")
fig = plots.weight_images_figure(W1, title="Tied model: encoder features = decoder basis images")
plt.show()
"""),
md("""
Many columns look like pieces of clothing: outlines of tops and bags, the gap between trouser
legs, horizontal bands such as a shoe's sole; a few still look like noise (units the model
barely relies on). Because every reconstruction is built as a weighted sum of these 100
pictures, they have to look like parts of clothes; and because the same pictures are the
encoder's detectors, each unit responds most to garments that contain its pattern.

## 8. The explorer again, tied or untied

The coding-size explorer from notebook 1, now with a toggle between untied and tied models. As in
notebook 1, its models use the shortened explorer recipe; the untied ones are the very models of
notebook 1's explorer, so they come from the cache if that notebook ran first.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
explorer = CodingSizeExplorer(data=data, tied=True, show_tied_toggle=True)
report = explorer.warm_up()
print(report["summary"])
"""),
md("""
Move the slider or flip the toggle. Left: test images above their reconstructions by the chosen
model. Right: validation MSE against coding size for both kinds (log scale), with the current
model circled in red.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
explorer
"""),
md("""
Compare the two curves size by size; here are the numbers behind them, with the count of dead
codings (zero for every validation image) of each model.
"""),
code("""
# NBVAL_IGNORE_OUTPUT
print(f"{'coding size':>11}{'untied MSE':>12}{'tied MSE':>10}{'dead codings (untied / tied)':>31}")
untied_lower = []
for size in explorer.sizes:
    pair = [explorer.models.get((size, kind)) for kind in (False, True)]
    if None in pair:
        print(f"{size:>11}   (a model is missing: {report['summary']})")
        continue
    u_run, t_run = pair
    dead = f"{dead_codings(u_run.model, data.X_valid)} / {dead_codings(t_run.model, data.X_valid)}"
    print(f"{size:>11}{u_run.info['valid_mse']:>12.5f}{t_run.info['valid_mse']:>10.5f}{dead:>31}")
    untied_lower.append(u_run.info["valid_mse"] < t_run.info["valid_mse"])
print(f"\\nuntied ends lower at {sum(untied_lower)} of {len(untied_lower)} coding sizes")
"""),
md("""
Whichever kind ends lower after the explorer's three epochs, remember how differently the two
start (section 5). Tying always halves the weights; what it costs or saves in error depends on
the recipe.

## Summary

- Tying sets each decoder matrix to the transpose of its mirror encoder matrix,
  $W_{N-L+1} = W_L^{\\top}$; at coding size 30 it takes the model from 163,814 to 82,414
  parameters.
- The book's layer fails on Keras 3 because layers lost `input_shape`; read sizes from the
  kernel, give shapes as tuples, keep an *untracked* reference to the encoder layer, and save the
  model that owns both sides.
- The tie is real: one variable, used by both layers, whose gradient is the sum of both uses.
- A tied autoencoder has half the weights. Which kind ends with the lower error depends on the
  recipe: only an untied decoder can start its output layer at zero, and the README's benchmark
  shows the tied model ahead under the book's random start.
- In a tied model the first-layer weights are both what the encoder detects and what the decoder
  draws.

## Try this

1. Tie only the outer layers: build a decoder with `DenseTranspose(dense_1)` for the last layer
   and a normal `Dense(100)` in the middle. How many parameters does it have?
2. Draw the first-layer weights of the *untied* model (`runs["untied"].model`) and its decoder's
   last kernel transposed. Do the encoder features and decoder basis images look alike?
3. Try `MyDenseTranspose` with a Dense layer that has not been built yet. What error do you get,
   and why must the encoder be built first?
4. Train the tied model with `recipe="book"` for 10 epochs, as the textbook did, and compare with
   the FAST recipe (`dataclasses.replace(helpers.training.BOOK, epochs=10)` makes that recipe).
5. Call `helper.get_config()` on the `DenseTranspose` from section 3 and read the message.
"""),
]


def write(cells, name):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    path = ROOT / "notebooks" / name
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    print("wrote", path.relative_to(ROOT))


if __name__ == "__main__":
    write(NB01, "01_stacked_autoencoder.ipynb")
    write(NB02, "02_tied_weights.ipynb")
