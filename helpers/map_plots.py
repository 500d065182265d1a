"""Figures of 2-D maps of the codings: one dot per image coloured by class, with thumbnails.

The maps themselves (PCA, t-SNE) come from :mod:`helpers.projection`; several maps of the same
points are drawn side by side with one class legend below them, so the legend covers no data.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.offsetbox import AnnotationBbox, OffsetImage

from helpers.figure_parts import square
from helpers.selection import sparse_subset


def _draw_coding_map(ax, points, labels, class_names, images, n_thumbnails, thumbnail_zoom, seed):
    """One scatter coloured by class, with thumbnails of the images at a spread-out subset."""
    cmap = plt.get_cmap("tab10")
    for c, name in enumerate(class_names):
        mask = labels == c
        ax.scatter(points[mask, 0], points[mask, 1], s=4, color=cmap(c), alpha=0.6, label=name)
    if images is not None and n_thumbnails:
        span = np.ptp(points, axis=0).max()
        chosen = sparse_subset(points, min_distance=span / 12, max_count=n_thumbnails, seed=seed)
        for i in chosen:
            box = OffsetImage(square(images[i]), cmap="binary", zoom=thumbnail_zoom)
            ax.add_artist(AnnotationBbox(box, points[i], frameon=True, pad=0.1,
                                         bboxprops={"edgecolor": cmap(int(labels[i])),
                                                    "linewidth": 1.5}))


def coding_maps_figure(maps, labels, class_names, images=None, axis_names=None, n_thumbnails=30,
                       thumbnail_zoom=0.6, seed=0, panel_size=6.4):
    """Side-by-side 2-D maps of the same points, coloured by class, with image thumbnails.

    ``maps`` is {panel title: points (n, 2)}, e.g. a PCA and a t-SNE map of the same codings;
    ``axis_names`` gives each panel's axis name ("principal component" labels its axes
    "principal component 1" and "... 2"; default "axis"). ``images`` (n, 28, 28) are the
    images behind the points (optional). The class legend sits below the panels, never on data.
    """
    labels = np.asarray(labels)
    axis_names = list(axis_names) if axis_names is not None else ["axis"] * len(maps)
    if len(axis_names) != len(maps):
        raise ValueError(f"axis_names needs one name per map ({len(maps)}); got {len(axis_names)}.")
    fig, axes = plt.subplots(1, len(maps), figsize=(panel_size * len(maps), panel_size + 0.9),
                             squeeze=False)
    for ax, (title, points), name in zip(axes[0], maps.items(), axis_names, strict=True):
        _draw_coding_map(ax, np.asarray(points), labels, class_names, images, n_thumbnails,
                         thumbnail_zoom, seed)
        ax.set_xlabel(f"{name} 1", fontsize=12)
        ax.set_ylabel(f"{name} 2", fontsize=12)
        ax.tick_params(labelsize=10)
        ax.set_title(title, fontsize=12)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(len(names), 5), fontsize=11,
               markerscale=4, frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def coding_space_figure(points, labels, class_names, images=None, n_thumbnails=40,
                        thumbnail_zoom=0.7, seed=0, title="Codings projected to 2-D"):
    """One PCA map (see :func:`coding_maps_figure`): ``points`` (n, 2) from
    :func:`helpers.projection.pca_project`, legend below the axes."""
    return coding_maps_figure({title: points}, labels, class_names, images=images,
                              axis_names=["principal component"], n_thumbnails=n_thumbnails,
                              thumbnail_zoom=thumbnail_zoom, seed=seed, panel_size=8)
