"""The opening the four Part 2 notebooks share: the typed parameters, the study whose samples the section reads,
the provenance line every caption ends with, and the banner saying what produced the numbers and which runs are
generated now or read back."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..common.provenance import provenance
from ..report.display import show
from ..report.profiles import profiles
from ..tts.setting import Setting
from ..tts.study import Study
from . import labels
from .params import Part2Params, open_study
from .prose import header_text


@dataclass(frozen=True)
class Part2Section:
    values: dict[str, Any]  # the notebook's resolved parameters (out_dir and record_dir included)
    profile: str
    params: Part2Params
    study: Study  # the samples the section reads: 2.3 and 2.4 read those of 2.2
    own_study: Study  # where this notebook's own settings run: 2.4's strategies have their folders; else `study`
    provenance: str  # profile and machine, for captions

    @property
    def who(self) -> str:
        """'model · problems · backend', for captions."""
        return labels.who(self.study)

    @property
    def n_problems(self) -> int:
        return len(self.study.problems)

    @property
    def is_reasoner(self) -> bool:
        """Whether the model is the project's reasoner, whose problems carry a difficulty k."""
        return bool(labels.reasoner_record(self.study))


def open_part2_section(values: dict[str, Any], profile: str, section: str,
                       settings: Callable[[Part2Params], Iterable[Setting]], own_section: str | None = None,
                       with_sampling: bool = False) -> Part2Section:
    """Open `section`'s study (training or reusing the reasoner when it is the model), and `own_section`'s when
    the notebook runs its settings elsewhere; show the banner with the run line (the sampling settings too when
    asked) and which of `settings(params)` are generated now and which read back."""
    check_machine(profile)
    params, study = open_study(values, section=section)
    own_study = study if own_section is None else open_study(values, section=own_section)[1]
    opened = Part2Section(values, profile, params, study, own_study, provenance(profile))
    counts = labels.run_counts(own_study, list(settings(params)))
    show(header_text(labels.banner(study), opened.provenance, counts, params.sampling if with_sampling else None))
    return opened


def check_machine(profile: str) -> None:
    """A profile that needs a GPU (params/profiles.yaml `needs`) refuses to start without one, saying how to get one
    on Colab, before a model is loaded or a sample written."""
    import torch

    if "gpu" in (profiles()[profile].get("needs") or []) and not torch.cuda.is_available():
        raise RuntimeError(f"profile {profile!r} needs a GPU and this runtime has none. On Colab: Runtime > Change "
                           "runtime type > T4 GPU, then run the notebook again from the top; elsewhere run it on a "
                           "GPU machine, or use the quick profile here")
