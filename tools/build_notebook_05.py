"""Writes notebook 05 (cells only, no outputs). Not needed at run time.

    .venv/bin/python tools/build_notebook_05.py
    AE_PROFILE=full .venv/bin/python -m helpers.execute notebooks/05_exercises.ipynb
    make student      # the student edition is generated from the solutions notebook

Re-running it discards the stored outputs, so execute the notebook again afterwards. Cell ids
are fixed here (md-01, code-02, ...) so that the student edition keeps stable ids.
"""
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = []
_counter = [0]


def _id(prefix):
    _counter[0] += 1
    return f"{prefix}-{_counter[0]:02d}"


def md(text, cid=None):
    c = new_markdown_cell(text.strip("\n"))
    c["id"] = cid or _id("md")
    cells.append(c)


def code(src, tags=(), cid=None):
    c = new_code_cell(src.strip("\n"))
    c["id"] = cid or _id("code")
    if tags:
        c.metadata["tags"] = list(tags)
    cells.append(c)


NEEDS = ("needs-exercise",)

# ----------------------------------------------------------------------------------------------
md(r"""
# 05 · Exercises: autoencoders, with worked solutions

The last notebook of the series is a set of exercises. Part 1 asks you to explain the main
ideas in a few sentences. Parts 2 to 4 ask you to write code: your own tied layer, a denoising
autoencoder that pretrains a classifier which sees only 500 labels, and a linear autoencoder
that you compare with PCA.

**What you will practise**

- explaining what autoencoders are for, and how to judge one;
- writing a Keras 3 layer that borrows another layer's weight matrix, and saving a model that uses it;
- running a small-label experiment honestly: several seeds, a from-scratch baseline with the
  same architecture, and a conclusion computed from the numbers;
- checking a piece of theory numerically (a linear autoencoder and PCA).

**Two editions of this notebook.** `notebooks/05_exercises.ipynb` holds the worked solutions.
`notebooks/student/05_exercises.ipynb` is generated from it (`make student`): each solution is
replaced by a line that raises `NotImplementedError`, and each written answer by a prompt.
Learners work in the student edition (make a copy first). The cells that call
`exercises.check_...` test your code against the reference implementations in `helpers/` and
print one `PASS` line per property; if something is wrong they stop with an `AssertionError`
that says what, and while the code they test is still a stub they stop with `NotImplementedError`.

**Profiles.** With `AE_PROFILE=quick` the training runs use a subset and at most 2 epochs,
so the code runs in well under a minute but the numbers mean little. The conclusions below are
printed from whatever was computed, so read them in the full profile (the default).
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
import helpers

profile = helpers.setup_notebook()

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from helpers import exercises, plots
from helpers.data import load_fashion_mnist
from helpers.models import dead_units
from helpers.training import training_arrays
""")

code(r"""
data = load_fashion_mnist()
print(data.summary())
""")

# ----------------------------------------------------------------------------------------------
md(r"""
## Part 1 · Questions to answer in words

Write a short answer to each question (a few sentences or a list) before you open the worked
answer below it.

### Question 1
What are autoencoders used for? Give at least four uses, and say for each what property of a
trained autoencoder makes it work.
""")

md(r"""
<!-- BEGIN ANSWER -->
*Worked answer.* An autoencoder is trained to rebuild its input after passing it through a
constrained code (narrow, noisy, sparse...). What gets through the constraint is what the
inputs have in common, and each use exploits one trained part:

- **Dimensionality reduction and visualisation:** the encoder turns each input into a short
  code that keeps its important structure; a 2- or 3-unit code (or a projection of a longer
  one) can be plotted.
- **Feature learning and unsupervised pretraining:** the codes are features learned without
  any labels, so a classifier can start from the encoder when labels are scarce (Part 3).
- **Denoising:** trained to rebuild clean inputs from corrupted ones, the network removes the
  kind of corruption it was trained on.
- **Anomaly detection:** an input unlike the training data is rebuilt badly, so a large
  reconstruction error flags it.
- **Compression:** the code is a lossy compressed version of the input, and the decoder is
  the decompressor.
- **Generation:** a decoder turns codes into inputs; generative variants (variational
  autoencoders) make the code space regular enough to sample new codes from.
<!-- END ANSWER -->
""")

md(r"""
### Question 2
You have a very large set of images but labels for only a few hundred of them. How can an
autoencoder help, and what exactly would you do, step by step?
""")

md(r"""
<!-- BEGIN ANSWER -->
*Worked answer.* A few hundred labels are too few to learn good features from scratch, but
an autoencoder learns from the images alone, so it can use all of them.

1. Train an autoencoder on **all** the images, labelled or not (the loss needs no labels).
   A denoising or otherwise regularised one tends to learn sturdier features.
2. Keep the encoder and drop the decoder. Build the classifier from a **copy of the encoder
   with its trained weights**, plus a small head (a softmax layer over the classes). Beware:
   `keras.models.clone_model` copies the architecture only and re-initialises the weights.
3. Train the head first with the encoder frozen, so that the large, random early gradients
   of a new head do not damage the pretrained features. Then, if it helps on validation data,
   unfreeze the encoder and fine-tune everything with a lower learning rate.
4. Check that it helped: train the **same architecture from scratch** on the same labels,
   repeat both over several seeds (and label samples), and compare on a held-out test set.
   Pretraining is not guaranteed to win; Part 3 measures it on Fashion-MNIST.
<!-- END ANSWER -->
""")

md(r"""
### Question 3
A colleague's autoencoder rebuilds its training images almost exactly, and they conclude it
is an excellent model. What would you tell them, and how would you evaluate it instead?
""")

md(r"""
<!-- BEGIN ANSWER -->
*Worked answer.* Not necessarily. Rebuilding the input is only the training signal; what we
want are codes that capture the structure of the data. A network with enough capacity can
rebuild perfectly while learning nothing useful: with a code as wide as the input it can copy
the input through, and a very powerful encoder and decoder could even memorise the training
set (in the extreme, map each training image to its index and back), which rebuilds the
training images exactly and fails on anything new.

To evaluate an autoencoder:

- measure the reconstruction error on **held-out** data, and compare it with a simple baseline
  with the same code size (PCA, for instance);
- measure how useful the codes are for the task you care about: the accuracy of a small
  classifier trained on the codes with few labels, the quality of clusters, the detection
  rate of anomalies, the error on clean targets when the inputs are corrupted (denoising);
- look at reconstructions and at what the coding units respond to (Part 3 does both).
<!-- END ANSWER -->
""")

md(r"""
### Question 4
Compare an autoencoder whose code is much smaller than its input with one whose code is as
large or larger. What are the two kinds called, what can go wrong with each, and what do you
do about it?
""")

md(r"""
<!-- BEGIN ANSWER -->
*Worked answer.*

- **Undercomplete:** the code is smaller than the input (784 → 30 in this series). The
  bottleneck itself forces the network to keep only the most useful information. Risks: a
  code that is too small (or too constrained) throws away details that matter, and
  reconstructions become blurry; and a very powerful encoder and decoder can still overfit
  the training set even through a small code. Remedies: choose the code size on validation
  data, regularise, and keep the model no bigger than it needs to be.
- **Overcomplete:** the code is as large as the input or larger. Nothing forces the network to
  learn structure: it can learn to copy its input (an identity map) and reconstruct perfectly
  while learning nothing. It needs another constraint that makes copying impossible or costly:
  noise or dropout on the inputs (denoising), a sparsity penalty on the codes, or a
  probabilistic code (variational). The risk then moves to tuning that constraint: too weak
  and it copies, too strong and it underfits.
<!-- END ANSWER -->
""")

md(r"""
### Question 5
Explain what tying weights means in a symmetric stacked autoencoder, how you would implement
it in Keras, and what you gain from it.
""")

md(r"""
<!-- BEGIN ANSWER -->
*Worked answer.* In a symmetric stack such as 784 → 100 → 30 → 100 → 784, every decoder layer
mirrors an encoder layer. Tying means the decoder layer gets no weight matrix of its own: it
uses the **transpose of its mirror's matrix**. Counting the layers after the input from 1 to
N, layer N − L + 1 uses the transpose of layer L's matrix (the first decoder layer uses the
last encoder layer's matrix, and so on outwards). Each decoder layer keeps its **own bias**,
because the biases have different sizes and roles on the two sides.

In Keras this is a custom layer that keeps a reference to the encoder's `Dense` layer, reads
its kernel each time it runs, multiplies by the transpose and adds its own bias. The matrix
has one owner (the encoder's `Dense`), and during training the gradients from its two uses
add up in that single variable.

Why: the model has roughly half the weights, so it trains faster, uses less memory and is
less prone to overfitting; and the decoder is constrained to read the codes back with the same
directions the encoder used to write them. Part 2 builds the layer and checks all of this,
parameter count included.
<!-- END ANSWER -->
""")

# ----------------------------------------------------------------------------------------------
md(r"""
## Part 2 · Hands-on 1: write your own `DenseTranspose`

Complete the layer below. `DenseTranspose(dense, activation=None)` takes an encoder layer
`dense` (a `keras.layers.Dense` that maps `n_in` features to `n_out`) and maps `n_out`
features back to `n_in`:

$$\text{output} = \text{activation}(x\,W^\top + b)$$

where $W$ is `dense.kernel` (shape `(n_in, n_out)`) and $b$ is the layer's own bias of shape
`(n_in,)`. Requirements:

1. **Read the kernel when the layer runs; never copy it.** A copy would stop following the
   encoder as it trains.
2. **Own exactly one variable, the bias.** If you write `self.dense = dense`, Keras treats the
   `Dense` as a sub-layer of yours and lists its kernel and bias among your layer's weights,
   so a decoder used or saved on its own counts and stores them a second time. Keep the
   reference out of Keras' attribute tracking (hint: `object.__setattr__`).
3. **Keras 3 details:** a `Dense` has no `input_shape` attribute (read sizes from
   `dense.kernel.shape`), weight shapes are tuples (`shape=(n,)`), and the kernel only exists
   once the `Dense` is built, so the encoder must be built (or called) before your layer.
4. **Saving:** your layer cannot be saved on its own, because its kernel lives in another layer
   and a reloaded copy would get a kernel of its own. Make `get_config` raise
   `NotImplementedError` with a message that says what to save instead (a model that owns
   both sides of the tie and rebuilds it from its own config, such as
   `helpers.models.StackedAutoencoder`).
""")

code(r'''
class DenseTranspose(keras.layers.Layer):
    """Maps codes back through a Dense layer's kernel, transposed: activation(x @ W.T + b)."""

    def __init__(self, dense, activation=None, **kwargs):
        ### BEGIN SOLUTION
        super().__init__(**kwargs)
        # object.__setattr__ bypasses Keras' tracking: the Dense stays the only owner of the
        # kernel, and this layer's own weights are just its bias.
        object.__setattr__(self, "tied_dense", dense)
        self.activation = keras.activations.get(activation)
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        if not self.tied_dense.built:
            raise ValueError(f"Build or call the encoder before '{self.name}': "
                             f"'{self.tied_dense.name}' has no kernel yet.")
        n_in = self.tied_dense.kernel.shape[0]   # the Dense's input width is our output width
        self.bias = self.add_weight(name="bias", shape=(n_in,), initializer="zeros")
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        # Contract the inputs' last axis with the kernel's output axis: that is x @ W.T.
        z = ops.tensordot(inputs, self.tied_dense.kernel, axes=[[-1], [1]])
        return self.activation(z + self.bias)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        raise NotImplementedError(
            f"'{self.name}' borrows the kernel of '{self.tied_dense.name}' and cannot be saved "
            "on its own (a reloaded copy would get a kernel of its own). Save a model that owns "
            "both layers and rebuilds the tie from its config, e.g. "
            "helpers.models.StackedAutoencoder(tied=True).")
        ### END SOLUTION
''')

md(r"""
The four check cells below test your class against `helpers.layers.DenseTranspose`, the
reference used by the rest of the series.

**Check 1, output:** on a small `Dense` (7 inputs, 5 units) with a known bias, your layer must
compute the same values as the reference, with ReLU and with no activation.
""")

code(r"""
exercises.check_output(DenseTranspose)
""", tags=NEEDS)

md(r"""
**Check 2, parameter count:** a 784 → 100 → 30 → 100 → 784 autoencoder whose decoder uses your
layer must have exactly as many parameters as the reference tied model, and your two decoder
layers must own nothing but their biases.
""")

code(r"""
exercises.check_parameter_count(DenseTranspose)
""", tags=NEEDS)

md(r"""
**Check 3, shared variable:** your tied autoencoder gets the reference model's weights. Then
(a) scaling the encoder's kernel must change your decoder's output, and (b) one gradient step
on both models must move the shared kernels identically, which only happens if the gradient
flowing through your decoder reaches the encoder's variable and adds to the encoder's own.
""")

code(r"""
exercises.check_shared_variable(DenseTranspose)
""", tags=NEEDS)

md(r"""
**Check 4, save and load.** A tie is a relation between two layers, so only a model that owns
both sides can save it faithfully. The check saves your layer inside `exercises.TiedOwner`, a
small model whose config rebuilds the tie on loading (as `helpers.models.StackedAutoencoder`
does), and verifies that the reloaded model gives the same output, has the same parameter
count and is still tied. Then it tries the naive way, `Sequential([encoder, decoder])`: that
model must refuse to save rather than write a file that fails to load or reloads untied.
""")

code(r"""
exercises.check_save_load(DenseTranspose)
""", tags=NEEDS)

# ----------------------------------------------------------------------------------------------
md(r"""
## Part 3 · Hands-on 2: denoising pretraining with 500 labels

Suppose only 500 of Fashion-MNIST's training images were labelled (50 per class). Does an
encoder pretrained on all the images, without labels, help a classifier trained on those 500?
You will:

1. train a **denoising** stacked autoencoder (784 → 100 → 30 → 100 → 784) on all the training
   images: Gaussian noise is added to its inputs during training, and it must rebuild the clean
   images;
2. look at noisy, clean and denoised images;
3. find the images that most activate each of the 30 coding units;
4. build a classifier that reuses the encoder;
5. compare it, over several seeds, with the same architecture trained from scratch on the
   same labels;
6. conclude from the numbers.

The names below are filled in by the steps; until a step has run they stay `None`, and the
cells that need them stop with a `NotImplementedError` that names the missing step.
""")

code(r"""
NOISE_STD = 0.2   # standard deviation of the noise added to the [0, 1] pixels while training
N_LABELS = 500    # labelled training images for the classifiers (50 per class)
dae = None        # step 1: the trained denoising autoencoder
results = None    # step 5: the pretrained-against-scratch comparison
""")

md(r"""
### Step 1 · Exercise 2.1: corrupt the inputs while training

Write `add_input_noise(model, noise_std)`. It returns a new Keras model that adds Gaussian
noise of standard deviation `noise_std` to its input **only while training**, then passes the
result through `model`. Training this wrapper to output the clean images trains `model` as a
denoiser, while `model` itself stays a plain autoencoder whose encoder we can reuse later.
Hint: `keras.layers.GaussianNoise` is active only when called with `training=True`
(`keras.layers.Dropout` on the input would be another valid corruption).
""")

code(r'''
def add_input_noise(model, noise_std):
    """A model that trains `model` as a denoiser: Gaussian noise on the input, then `model`."""
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.layers.GaussianNoise(noise_std),   # does nothing unless training=True
        model,
    ], name="denoising_trainer")
    ### END SOLUTION
''')

code(r"""
exercises.check_input_noise(add_input_noise, NOISE_STD)
""", tags=NEEDS)

md(r"""
Now train it on all the training images of the profile (55,000 in the full profile) with the
series' fast recipe, minus its XLA compilation: XLA turns the noise layer's random-number
generation into slow code on CPUs. The trained model is cached on disk, so this takes time only
once.
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
dae = exercises.pretrained_denoising_autoencoder(add_input_noise, NOISE_STD)
history = dae.info
print(f"{'Loaded from the cache' if dae.from_cache else 'Trained'}: {history['epochs']} epochs, "
      f"{len(training_arrays(data, profile)[0]):,} training images")
print(f"Last epoch's training loss (noisy inputs, clean targets): {history['loss'][-1]:.4f}")
print(f"Reconstruction MSE on all 5,000 validation images (no noise): {history['valid_mse']:.4f}")
""", tags=NEEDS)

md(r"""
### Step 2 · Noisy, clean and denoised images

The noisy images are made by your own `add_input_noise` (wrapped around an identity layer, in
training mode), so they are exactly the kind of input the autoencoder trained on.
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
examples = exercises.denoising_examples(add_input_noise, dae, data.X_valid, NOISE_STD)
print(f"MSE against the clean validation images (5,000): noisy input {examples['mse_noisy']:.4f}, "
      f"denoised {examples['mse_denoised']:.4f}, rebuilt from the clean input {examples['mse_from_clean']:.4f}")
fig = plots.reconstruction_rows_figure(
    examples["clean"][:10], {"noisy input": examples["noisy"][:10], "denoised": examples["denoised"][:10]})
plt.show()
""", tags=NEEDS)

md(r"""
Each column is one validation image: the clean original on top, the corrupted version the
autoencoder received in the middle, and its output at the bottom.
""")

md(r"""
### Step 3 · Exercise 2.2: the images that most activate each coding unit

A coding unit's "preferred" inputs hint at what it detects. Write `top_activating(codings, k)`:
`codings` has one row per image and one column per unit; return an integer array of shape
`(units, k)` whose row `u` lists the indices of the `k` images with the largest activation of
unit `u`, strongest first.
""")

code(r'''
def top_activating(codings, k):
    """Per coding unit, the indices of the k images that activate it most (strongest first)."""
    ### BEGIN SOLUTION
    order = np.argsort(-codings, axis=0, kind="stable")   # every column sorted, largest first
    return order[:k].T                                      # (units, k)
    ### END SOLUTION
''')

code(r"""
exercises.check_top_activating(top_activating)
""", tags=NEEDS)

code(r"""
# NBVAL_IGNORE_OUTPUT
X_train, X_valid = training_arrays(data, profile)
codings = exercises.codings_of(dae, X_train)
top = top_activating(codings, 6)
dead = dead_units(codings)
print(f"Codings of {len(X_train):,} training images: {codings.shape[1]} units, "
      f"{dead} of them never active (ReLU output always 0)")
fig = plots.top_activating_figure(X_train, codings, top)
plt.show()
""", tags=NEEDS)

md(r"""
For each unit, the six training images that drive it hardest, strongest on the left, with that
unit's largest activation in the title. A faded strip marks a dead unit, one that never fires
on any training image: it carries no information, and ReLU coding layers can lose units this
way (the count is printed above). Among the live units, look for those whose favourite
images share a class, a shape or a brightness pattern.
""")

md(r"""
### Step 4 · Exercise 2.3: a classifier that reuses the encoder

Write `make_classifier(encoder, pretrained, seed)`. It returns a new model: a **copy** of
`encoder`'s layers as one layer named `"encoder"`, followed by a head
`Dense(10, activation="softmax")` as the last layer. With `pretrained=True` the copy starts
from the encoder's trained weights; with `pretrained=False` it keeps a fresh random
initialisation (the baseline, with the very same architecture). The classifier must not share
variables with `encoder`, so training it cannot change the autoencoder. Seed Keras with `seed`
so that a run can be repeated.
""")

code(r'''
def make_classifier(encoder, pretrained, seed):
    """A copy of `encoder` (trained weights if `pretrained`) topped by a 10-class softmax head."""
    ### BEGIN SOLUTION
    keras.utils.set_random_seed(seed)
    body = keras.models.clone_model(encoder)    # same layers, NEW variables, random weights
    body.name = "encoder"
    if pretrained:
        body.set_weights(encoder.get_weights())  # clone_model copies no weights: do it here
    return keras.Sequential([
        keras.Input(encoder.input_shape[1:]),
        body,
        keras.layers.Dense(10, activation="softmax", name="head"),
    ], name="pretrained_classifier" if pretrained else "scratch_classifier")
    ### END SOLUTION
''')

code(r"""
exercises.check_classifier_factory(make_classifier)
""", tags=NEEDS)

md(r"""
### Step 5 · Pretrained against from scratch, over several seeds

For each seed, the comparison draws 500 class-balanced labelled images from the training
split, builds both classifiers with your `make_classifier` (same seed) and trains them with
notebook 04's recipe: the pretrained one trains its head alone first, then everything at a
lower learning rate; the from-scratch one gets the same number of steps with everything
trainable. Accuracy is measured on all 10,000 test images. "Frozen" is the pretrained model
after its head-only phase, a measure of how good the encoder's codes are as they are.
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
from helpers.pretraining import classifier_plan

print("Training:", classifier_plan(profile).describe())
results = exercises.compare_pretraining(make_classifier, dae, N_LABELS, seeds=profile.seeds)
for row in results["rows"]:
    print(f"seed {row['seed']}: from scratch {row['scratch']:.1%}, pretrained and frozen "
          f"{row['frozen']:.1%}, pretrained and fine-tuned {row['pretrained']:.1%}")
fig = plots.paired_accuracy_figure(results["rows"])
plt.show()
""", tags=NEEDS)

md(r"""
Each coloured line joins one seed's three results (same labelled images for all three); the
black marks are the means over seeds.

### Step 6 · Conclusion

The conclusion is computed from the numbers above, so it stays true whatever they turn out to be.
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
print(exercises.pretraining_conclusion(exercises.require(results, "results", "step 5")))
""", tags=NEEDS)

md(r"""
**Exercise 2.4 (in words).** Interpret the printed conclusion: did pretraining help at 500
labels, and is the difference larger than the seed-to-seed spread? What would you expect with
50 labels, or with all 55,000, and why? (Notebook 04 measures the whole range.)
""")

md(r"""
<!-- BEGIN ANSWER -->
*Worked answer.* Read the verdict together with the per-seed numbers: a difference counts only
if it keeps its sign across seeds and is large compared with the spread between seeds; with
only a few seeds, a small difference is not evidence either way. Two effects compete. The
pretrained encoder brings features learned from all the images, which matters most when the
labels are very few: the frozen run shows how much class information the codes hold without
any label having shaped them. But those features were learned to rebuild pixels, not to
separate classes, and with a 500-label training set fine-tuning can still overfit or wash
the pretraining out; the from-scratch network, on the other hand, learns exactly what
separates these labels. As the number of labels grows, the from-scratch model catches up and
the benefit of pretraining shrinks towards zero; with very few labels (say 50) the pretrained
encoder has the best chance of helping. Whatever the outcome here, the honest statement is the
measured one: which model won, by how much, over how many seeds.
<!-- END ANSWER -->
""")

# ----------------------------------------------------------------------------------------------
md(r"""
## Part 4 · Hands-on 3: a linear autoencoder finds PCA's subspace

Take away the non-linearities: an autoencoder 784 → k → 784 with **linear** activations, tied
weights and the MSE loss. Its reconstruction is $\hat x = W W^\top x$ (plus biases), a rank-k
linear map, and the best rank-k linear reconstruction in the squared-error sense is the
projection onto the top-k principal components (the Eckart–Young theorem). So, if training
succeeds, the columns of the encoder's kernel $W$ span **the same subspace as PCA's top k
directions**, though not necessarily with the same basis vectors. You will check this
numerically with principal angles: the angles between two subspaces, all 0° when they are
equal and 90° for directions at right angles.

We centre the images first (subtract the mean training image), as PCA does, so that the
subspaces pass through the origin.
""")

code(r"""
K = 16                                      # code size, and the number of principal components
X_train, X_valid = training_arrays(data, profile)
mean_image = X_train.mean(axis=0)
flat_train = X_train.reshape(len(X_train), -1)
flat_valid_centered = (data.X_valid - mean_image).reshape(len(data.X_valid), -1)
components = None                           # exercise 3.1 sets it (PCA's top-K directions)
print(f"Code size K = {K}; centred images of {flat_train.shape[1]} pixels")
""")

md(r"""
### Exercise 3.1: PCA with NumPy

Write `pca(X, k)`: `X` has one row per example. Return `(mean, components)`, the mean row
(shape `(d,)`) and the top-k principal directions as the orthonormal columns of a `(d, k)`
array, by decreasing variance. Use `np.linalg.svd`. The principal directions are the right
singular vectors of the centred data $X_c$; they are also the singular vectors of the much
smaller $d \times d$ matrix $X_c^\top X_c$, which is far cheaper to decompose when there are
many more rows than columns (55,000 against 784 here).
""")

code(r'''
def pca(X, k):
    """Mean (d,) and the top-k principal directions as orthonormal columns (d, k)."""
    ### BEGIN SOLUTION
    mean = X.mean(axis=0)
    centred = X - mean
    # Decompose the d x d scatter matrix rather than the n x d data: same directions. The
    # rows of Vt are the principal directions, sorted by decreasing singular value.
    _, _, Vt = np.linalg.svd((centred.T @ centred).astype(np.float64))
    return mean, Vt[:k].T
    ### END SOLUTION
''')

code(r"""
exercises.check_pca(pca)
""", tags=NEEDS)

md(r"""
### Exercise 3.2: principal angles

Write `principal_angles(A, B)`: the angles, in degrees and smallest first, between the column
spaces of `A` and `B` (both `(d, k)`, any basis). Recipe: orthonormalise each with
`np.linalg.qr`; the singular values of $Q_A^\top Q_B$ are the cosines of the angles.
""")

code(r'''
def principal_angles(A, B):
    """Angles in degrees (smallest first) between the column spaces of A and B."""
    ### BEGIN SOLUTION
    Qa, _ = np.linalg.qr(np.asarray(A, dtype=np.float64))   # orthonormal bases
    Qb, _ = np.linalg.qr(np.asarray(B, dtype=np.float64))
    cosines = np.linalg.svd(Qa.T @ Qb, compute_uv=False)    # largest first
    return np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))
    ### END SOLUTION
''')

code(r"""
exercises.check_principal_angles(principal_angles)
""", tags=NEEDS)

md(r"""
### Train the linear tied autoencoder

This part is provided: `helpers.models.StackedAutoencoder` with one hidden layer of `K` units,
no activation anywhere, tied weights, trained on the centred images with the MSE loss and the
series' fast recipe (cached).
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
linear = exercises.trained_linear_autoencoder(K, mean_image)
print(f"{'Loaded from the cache' if linear.from_cache else 'Trained'}: {linear.info['epochs']} epochs, "
      f"final validation MSE {linear.info['val_loss'][-1]:.5f}")
""")

md(r"""
### Compare the two subspaces
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
mean, components = pca(flat_train, K)
W = linear.model.encoder.layers[-1].kernel.numpy()           # (784, K), spans the AE's subspace
angles = principal_angles(W, components)
pca_mse = exercises.pca_reconstruction_mse(flat_valid_centered, 0.0, components)
ae_mse = float(np.mean((linear.model.predict(data.X_valid - mean_image, verbose=0)
                        - (data.X_valid - mean_image)) ** 2))
print(exercises.subspace_conclusion(angles, ae_mse, pca_mse, profile.name))
print(exercises.basis_report(W, components))
fig = plots.principal_angles_figure(angles)
plt.show()
""", tags=NEEDS)

md(r"""
The bars are the K principal angles between the autoencoder's subspace and PCA's, smallest
first: a bar near zero means a direction the two subspaces share. The last printed lines are
about the autoencoder's own basis, the columns of $W$: their lengths, the angles between them,
and how closely each one matches one of PCA's components. Agreeing on a subspace does not
require agreeing on a basis.
""")

code(r"""
# NBVAL_IGNORE_OUTPUT
images = data.X_valid[:10]
pca_rebuilt = exercises.pca_reconstruction(images.reshape(10, -1), mean_image.reshape(-1), components)
ae_rebuilt = linear.model.predict(images - mean_image, verbose=0) + mean_image
fig = plots.reconstruction_rows_figure(images, {"PCA": pca_rebuilt.reshape(10, 28, 28),
                                                "linear AE": ae_rebuilt})
plt.show()
""", tags=NEEDS)

md(r"""
Ten validation images (top), rebuilt from their projection onto PCA's K directions (middle)
and by the linear autoencoder (bottom). When the subspaces agree, the two rows look alike.

**Exercise 3.3 (in words).** Comment on the result: why does a linear autoencoder with tied
weights and MSE find PCA's subspace but not necessarily its basis? Which principal angles
converge last, and why? What changes once the activations are non-linear?
""")

md(r"""
<!-- BEGIN ANSWER -->
*Worked answer.* With linear layers the whole autoencoder is one linear map of rank at most k,
and MSE scores it exactly as PCA's objective does, so its best solutions are the projections
onto the top-k principal subspace. The loss only sees the product $W W^\top$, which does not
change if $W$ is replaced by $W R$ for any orthogonal $k \times k$ matrix $R$: every rotation
of a basis of that subspace is equally good, so nothing pushes the autoencoder towards PCA's
particular basis (orthogonal directions sorted by variance). With tied weights the optimum
also makes the columns of $W$ orthonormal, since $W W^\top$ must be a projection.

Gradient descent does not reach the optimum exactly. Directions with a lot of variance are
learned first; the last principal angles to close are those for directions whose variance
is nearly equal to that of the first direction left out (the k-th and (k+1)-th components),
because the loss barely changes when they swap. A few large angles at the end, with a
reconstruction error close to PCA's, are a symptom of that slow convergence, not a
contradiction. Once the activations are non-linear (ReLU, as in the rest of the series) the
codes lie on a curved surface rather than a flat subspace, and the autoencoder can reconstruct
better than PCA with the same code size, which is the point of using one.
<!-- END ANSWER -->
""")

# ----------------------------------------------------------------------------------------------
md(r"""
## Summary

- Autoencoders learn codes without labels; judge them by what the codes are good for on
  held-out data, not by reconstruction alone.
- A tied layer borrows its mirror's kernel and owns only its bias; a tie is saved through a
  model that owns both sides.
- Whether pretraining helps a small-label classifier is an empirical question: compare with
  the same architecture from scratch, over several seeds, and let the numbers decide.
- Trained to convergence, a linear autoencoder with tied weights and MSE spans the same
  subspace as PCA, generally with a different basis; principal angles measure how close a run
  came.

## Try this

- In Part 3, replace the Gaussian noise by `keras.layers.Dropout(0.3)` on the input, or change
  `NOISE_STD`. Does the verdict change?
- Set `N_LABELS = 50` (5 per class) and run Part 3 again.
- In Part 4, change `K` to 4 or to 64: which principal angles converge last?
- Build an untied linear autoencoder,
  `StackedAutoencoder((28, 28), (K,), tied=False, activation=None)`, train it on the centred
  images with `helpers.training.fit_reconstruction`, and compare its encoder's kernel with
  PCA's components: is its subspace still PCA's, and are its columns still orthonormal?
""")

nb = new_notebook(cells=cells, metadata={
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
})
nbformat.validate(nb)
target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "notebooks" / "05_exercises.ipynb"
nbformat.write(nb, target)
print("wrote", target, len(cells), "cells")
