import dataclasses

import numpy as np
import pytest

from helpers.models import stacked_autoencoder
from helpers.recipes import BOOK, FAST, Recipe, get_recipe, initialize_for_recipe, make_optimizer


def test_recipes_are_named_and_described():
    assert get_recipe("book") is BOOK and get_recipe(FAST) is FAST
    assert BOOK.batch_size == 32 and BOOK.epochs == 20 and BOOK.learning_rate == 1e-3
    assert "batch 32" in BOOK.describe()
    with pytest.raises(ValueError, match="book, fast"):
        get_recipe("turbo")


def test_fast_recipe_starts_an_untied_decoder_output_at_zero(fashion):
    model = stacked_autoencoder(30)
    before = [w.copy() for w in model.get_weights()]
    assert initialize_for_recipe(model, "fast") is model
    after = model.get_weights()
    assert not np.any(after[-2]) and np.any(before[-2])          # output kernel now all zero
    for old, new in zip(before[:-2], after[:-2], strict=True):    # every other weight untouched
        np.testing.assert_array_equal(old, new)
    assert not np.any(model.predict(fashion.X_valid[:8], verbose=0))  # starts by predicting 0
    assert "an untied decoder's output layer starts at zero" in FAST.describe()
    assert "zero" not in BOOK.describe()


def test_book_recipe_and_tied_models_keep_their_initial_weights():
    untied, tied = stacked_autoencoder(30), stacked_autoencoder(30, tied=True)
    w_untied, w_tied = untied.get_weights(), tied.get_weights()
    initialize_for_recipe(untied, "book")
    initialize_for_recipe(tied, "fast")          # the tied output layer borrows the encoder's kernel
    for old, new in zip(w_untied + w_tied, untied.get_weights() + tied.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_unknown_output_init_is_refused():
    with pytest.raises(ValueError, match="output_init"):
        Recipe("odd", 32, 1, 1e-3, output_init="ones")


def test_fast_random_start_is_fast_with_the_books_start():
    random_start = get_recipe("fast-random-start")
    assert random_start.output_init == "glorot_uniform" and FAST.output_init == "zeros"
    assert dataclasses.replace(random_start, name="fast", output_init="zeros") == FAST


def test_fast_optimizer_warms_up_to_its_rate_then_decays_to_zero():
    optimizer = make_optimizer(FAST, steps_per_epoch=10, epochs=5)
    rate = optimizer._learning_rate                    # the schedule Keras evaluates per step
    assert float(rate(0)) == pytest.approx(3e-4)       # warm-up starts at a tenth of 3e-3
    assert float(rate(10)) == pytest.approx(3e-3)      # reached after one epoch (10 steps)
    assert float(rate(50)) == pytest.approx(0.0, abs=1e-9)
    constant = make_optimizer(BOOK, steps_per_epoch=10, epochs=5)
    assert float(constant.learning_rate) == pytest.approx(1e-3)
