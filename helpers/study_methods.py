"""The classifiers the label-budget study compares: their names, and which run and phase each is.

A training run starts from a *source* (a random initialisation, or the encoder of the untied or
the tied autoencoder) and is evaluated after each of its two phases; a *method* is one such
evaluation. Five methods therefore cost only three runs per (budget, seed).
"""

METHODS = ("scratch", "frozen", "fine-tuned", "tied frozen", "tied fine-tuned")
METHOD_LABELS = {
    "scratch": "from scratch (random init)",
    "frozen": "pretrained encoder, frozen",
    "fine-tuned": "pretrained encoder, fine-tuned",
    "tied frozen": "tied AE's encoder, frozen",
    "tied fine-tuned": "tied AE's encoder, fine-tuned",
}
SOURCES = ("scratch", "untied", "tied")
ENCODER_SOURCES = SOURCES[1:]
METHOD_RUNS = {  # method -> (source, phase index: 0 = after phase 1, 1 = after phase 2)
    "scratch": ("scratch", 1),
    "frozen": ("untied", 0),
    "fine-tuned": ("untied", 1),
    "tied frozen": ("tied", 0),
    "tied fine-tuned": ("tied", 1),
}


def check_method(method) -> str:
    """``method`` if it is one of :data:`METHODS`, else ValueError listing them."""
    if method not in METHOD_RUNS:
        raise ValueError(f"Unknown method {method!r}; choose one of: {', '.join(METHODS)}.")
    return method
