"""The figures of skmlp's documentation, without Sphinx.

- :func:`draw_schedule` draws the learning rate of one schedule of
  :data:`skmlp.schedulers.SCHEDULERS` with :meth:`Scheduler.preview
  <skmlp.schedulers.Scheduler.preview>`; the user guide shows one figure per
  registered schedule (``skmlp_docs``'s ``schedule-previews`` directive).
- :func:`example_argv` and :func:`saved_figure_scraper` let sphinx-gallery
  show the figure an example saves: the examples are plain scripts that write
  their figure to ``--output`` and close it (``python examples/x.py`` must
  keep working), so the gallery hands them an ``--output`` path and collects
  the file from there.
"""

from __future__ import annotations

import pathlib
import shutil
from typing import NamedTuple

import numpy as np

from skmlp.schedulers import SCHEDULERS, Scheduler

#: The fit every preview stands for: the estimator's ``learning_rate_init``,
#: ``max_iter`` epochs of one mini-batch of ``BATCH_SIZE`` samples each.
LEARNING_RATE_INIT = 0.1
EPOCHS = 100
BATCH_SIZE = 200


def loss_curve(epochs: int) -> list[float]:
    """A training loss that falls fast, then levels off: recorded to three
    decimals, it repeats the same value from about epoch 50 on."""
    return [round(0.2 + 0.8 * np.exp(-epoch / 10), 3) for epoch in range(epochs)]


def _preview(scheduler: Scheduler, losses: list[float]) -> np.ndarray:
    metrics = [{"loss": loss, "validation_score": None} for loss in losses]
    return scheduler.preview(LEARNING_RATE_INIT, epochs=len(losses),
                             batch_size=BATCH_SIZE, metrics=metrics)


class Drawn(NamedTuple):
    """What :func:`draw_schedule` drew."""

    rates: np.ndarray  # the rate of every epoch
    follows_loss: bool  # whether the rates depend on the loss, drawn dashed


def draw_schedule(name: str, path: pathlib.Path) -> Drawn:
    """Draw ``SCHEDULERS[name]()``'s rates to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scheduler = SCHEDULERS[name]()
    losses = loss_curve(EPOCHS)
    rates = _preview(scheduler, losses)
    # Another loss curve, one that never stalls: do the rates change?
    follows = not np.array_equal(
        rates, _preview(scheduler, [0.9**epoch for epoch in range(EPOCHS)]))
    epochs = np.arange(1, EPOCHS + 1)
    fig, ax = plt.subplots(figsize=(4.4, 2.6), layout="constrained")
    ax.step(epochs, rates, where="post", color="C0", linewidth=2)
    if rates.min() > 0 and rates.max() >= 10 * rates.min():
        ax.set_yscale("log")  # decays over decades (and never reaches 0)
    else:
        ax.set_ylim(0, 1.15 * rates.max())  # a constant rate looks constant
    ax.grid(True, alpha=0.3)
    ax.set(xlabel="epoch", ylabel="learning rate", xlim=(1, EPOCHS),
           title=f'learning_rate="{name}"')
    if follows:
        loss_ax = ax.twinx()
        loss_ax.plot(epochs, losses, color="0.45", linestyle="--", linewidth=1)
        loss_ax.set_ylabel("training loss (dashed)", color="0.35")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Drawn(rates, follows)


def example_argv(gallery_conf: dict, script_vars: dict) -> list[str]:
    """Command-line arguments of an example run by sphinx-gallery:
    ``--output NAME.png`` for the examples that save a figure there.

    sphinx-gallery runs an example in its own folder, so the figure lands
    next to the script (where ``python examples/NAME.py`` run from
    ``examples/`` would put it) and the example prints the path a reader
    expects.
    """
    source = pathlib.Path(script_vars["src_file"])
    if '"--output"' not in source.read_text(encoding="utf-8"):
        return []
    return ["--output", _saved_figure(source).name]


def _saved_figure(source: pathlib.Path) -> pathlib.Path:
    return source.with_suffix(".png")


def collect_saved_figure(block_vars: dict) -> pathlib.Path | None:
    """Move the figure the example saved, if any, to the gallery's next image
    path; return that path."""
    saved = _saved_figure(pathlib.Path(block_vars["src_file"]))
    if not saved.exists():
        return None
    target = pathlib.Path(next(block_vars["image_path_iterator"]))
    shutil.move(saved, target)
    return target


def saved_figure_scraper(block, block_vars: dict, gallery_conf: dict) -> str:
    """sphinx-gallery image scraper: the figure the example saved, if any."""
    from sphinx_gallery.scrapers import figure_rst

    target = collect_saved_figure(block_vars)
    return "" if target is None else figure_rst([target], gallery_conf["src_dir"])
