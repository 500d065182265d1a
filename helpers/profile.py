"""The one switch: ``AE_PROFILE`` = ``full`` (default, book fidelity) or ``quick``.

``quick`` trains on a subset for a couple of epochs so that every notebook runs in
seconds (tests, CI, impatient readers). Nothing else in the package is global state.
"""

from __future__ import annotations

import dataclasses
import os

ENV_VAR = "AE_PROFILE"


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    train_size: int | None   # images used to train autoencoders (None = all 55,000)
    valid_size: int | None   # validation images used while training (None = all 5,000)
    max_epochs: int | None   # cap on any recipe's epochs (None = the recipe's own)
    seeds: tuple             # seeds for studies that average over runs

    @property
    def is_quick(self) -> bool:
        return self.name == "quick"

    def epochs(self, recipe_epochs: int) -> int:
        """The epochs a recipe really runs under this profile."""
        return recipe_epochs if self.max_epochs is None else min(recipe_epochs, self.max_epochs)


PROFILES = {
    "full": Profile("full", train_size=None, valid_size=None, max_epochs=None, seeds=(0, 1, 2)),
    "quick": Profile("quick", train_size=5_000, valid_size=1_000, max_epochs=2, seeds=(0,)),
}


def active_profile() -> Profile:
    """The profile named by ``AE_PROFILE`` (read on every call, so tests can switch it)."""
    name = os.environ.get(ENV_VAR, "full").strip().lower() or "full"
    if name not in PROFILES:
        raise ValueError(f"{ENV_VAR}={name!r} is not a profile; use one of: {', '.join(PROFILES)}.")
    return PROFILES[name]
