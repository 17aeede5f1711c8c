"""Matplotlib figures. Each function returns a Figure and, given `path`, saves it atomically."""

from __future__ import annotations

import os

import matplotlib

# Files need no window; a backend chosen in MPLBACKEND (Jupyter's inline one) is kept.
if not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .checks import as_dims, as_edits, as_images, as_labels, as_latents, as_named_values  # noqa: E402
from .files import atomic_path  # noqa: E402
from .inference import grid_values, tile_grid  # noqa: E402
from .metrics import laplacian_variance  # noqa: E402
from .stats import default_groups  # noqa: E402


def plot_images(rows: dict, titles=None, path=None):
    """One row of images per entry of `rows` ({row name: images}), e.g. originals and
    reconstructions. Images may have any size, grey or colour.

    Example:
        >>> fig = plot_images({"original": x[:10], "plain VAE": r[:10]})  # doctest: +SKIP
    """
    if not isinstance(rows, dict):
        rows = {"": rows}
    data = {name: _drawable(as_images(imgs, f"rows[{name!r}]", shape=None))
            for name, imgs in rows.items()}
    ncol = max(len(v) for v in data.values())
    fig, axes = plt.subplots(len(data), ncol, figsize=(ncol * 1.0, len(data) * 1.1 + 0.2),
                             squeeze=False)
    for r, (name, imgs) in enumerate(data.items()):
        for c in range(ncol):
            ax = axes[r, c]
            ax.set_axis_off()
            if c < len(imgs):
                ax.imshow(imgs[c], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            if titles is not None and r == 0 and c < len(titles):
                ax.set_title(str(titles[c]), fontsize=8)
        axes[r, 0].text(-0.07, 0.5, name, ha="right", va="center", fontsize=9,
                        transform=axes[r, 0].transAxes)
    fig.subplots_adjust(left=0.12, wspace=0.05, hspace=0.1)
    return save_figure(fig, path)


def plot_manifold(grid, quantiles=(0.05, 0.95), path=None):
    """The latent manifold as one image on a black background, like the book's figure.

    `grid` is the (n, n, height, width[, channels]) array of :func:`vaelab.latent_grid`;
    the axes show the latent coordinates of the rows and columns.
    """
    tiled = tile_grid(grid)
    n = np.shape(grid)[0]
    side = tiled.shape[0] // n
    values = grid_values(n, quantiles)
    fig, ax = plt.subplots(figsize=(8, 8))
    ax.imshow(tiled, cmap="gray", vmin=0, vmax=1)
    ticks = np.arange(n) * side + side // 2
    labels = [f"{v:.2f}" for v in np.round(values, 2) + 0.0]  # + 0.0 turns -0.0 into 0.0
    ax.set_xticks(ticks, labels, rotation=90, fontsize=7)
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_xlabel("latent dimension 2")
    ax.set_ylabel("latent dimension 1")
    return save_figure(fig, path)


def plot_latent_scatter(z, labels, dims=(0, 1), path=None):
    """Latent means of images, coloured by digit, over two latent dimensions."""
    z = as_latents(z, np.shape(z)[-1] if np.ndim(z) else 0)
    y = as_labels(labels, n=z.shape[0])
    dims = as_dims(dims, z.shape[1])
    fig, ax = plt.subplots(figsize=(7, 6))
    points = ax.scatter(z[:, dims[0]], z[:, dims[1]], c=y, cmap="tab10", s=2, vmin=-0.5,
                        vmax=9.5)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel(f"z[{dims[0]}]")
    ax.set_ylabel(f"z[{dims[1]}]")
    return save_figure(fig, path)


def plot_laplacian_boxplot(images, labels, path=None):
    """Boxplots of the Laplacian variance of `images` per digit class."""
    values = laplacian_variance(images)
    y = as_labels(labels, n=values.size)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.boxplot([values[y == d] for d in range(10)])
    ax.set_xticks(range(1, 11), [str(d) for d in range(10)])
    ax.set_xlabel("digit")
    ax.set_ylabel("variance of the Laplacian")
    return save_figure(fig, path)


def plot_laplacian_histograms(blur: dict, labels, bins: int = 50, path=None):
    """Histograms of Laplacian variance ({name: values}) for digits other than 1, and for 1."""
    groups = default_groups(labels)
    blur = as_named_values(blur, "blur", n=next(iter(groups.values())).size)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (title, mask) in zip(axes, groups.items()):
        # Shared bin edges, so the series are compared bin for bin.
        edges = np.histogram_bin_edges(np.concatenate([np.asarray(v)[mask] for v in blur.values()]),
                                       bins=bins)
        for name, values in blur.items():
            ax.hist(np.asarray(values)[mask], bins=edges, alpha=0.2, label=name)
        ax.set_title(title)
        ax.set_xlabel("variance of the Laplacian")
        ax.legend()
    return save_figure(fig, path)


def plot_interpolations(rows: dict, path=None):
    """Interpolation rows ({"1 -> 5": images, ...}), one row each."""
    return plot_images(rows, path=path)


def plot_edit_rows(edits, column_titles=None, row_names=None, path=None):
    """One row per image of an (n, m, height, width[, channels]) edit array (style transfer,
    attribute edits).

    `column_titles` label the m columns (target digits, strengths); `row_names` the rows.
    Returns the Matplotlib Figure and, given `path`, saves it atomically.

    Example:
        >>> fig = plot_edit_rows(rows, column_titles=[0, 1, 2, 3])  # doctest: +SKIP
    """
    edits = as_edits(edits, shape=None)
    names = [str(r) for r in (row_names if row_names is not None else range(1, len(edits) + 1))]
    if len(set(names)) != len(edits):
        raise ValueError(f"row_names: expected {len(edits)} different names (one per row), "
                         f"got {names}")
    titles = None if column_titles is None else [
        f"{t:g}" if isinstance(t, (int, float, np.number)) else str(t) for t in column_titles]
    return plot_images(dict(zip(names, edits)), titles=titles, path=path)


def _drawable(images):
    """Grey images without their channel axis (Matplotlib draws those with a colour map)."""
    return images[..., 0] if images.shape[-1] == 1 else images


def save_figure(fig, path=None):
    """Save `fig` to `path` atomically (format from the suffix) if a path is given; return it."""
    if path is not None:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=100, bbox_inches="tight")
    return fig
