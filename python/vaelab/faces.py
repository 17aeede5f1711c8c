"""Synthetic cartoon faces: an offline stand-in for CelebA, with named binary attributes.

CelebA cannot be downloaded on every machine (and never on the project's), so the faces
lessons and tests use these drawings instead. They are NOT CelebA and not photographs: each
is a flat-shaded cartoon face, drawn with NumPy from a seeded random generator. What they
share with CelebA is what the lessons need: 64 x 64 colour images, nuisance variation (the
face's position, scale and tilt, the background, the lighting) and independent binary
attributes under CelebA's own names (:data:`FACE_ATTRIBUTES`), as +1 / -1 labels.
:func:`write_celeba_layout` writes them in CelebA's on-disk layout, so that
:func:`vaelab.datasets.load_celeba` reads them exactly as it reads the real set.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import positive_int
from .datasets import DFC_CROP
from .files import atomic_path, write_text

# The attributes drawn, under CelebA's names; each is +1 for about half of the faces,
# independently of the others and of the nuisance variation.
FACE_ATTRIBUTES = ("Smiling", "Mouth_Slightly_Open", "Eyeglasses", "Wearing_Hat",
                   "Pale_Skin", "Blond_Hair")

# CelebA's aligned images are 178 wide and 218 high. Written in that layout, the faces fill
# the square that load_celeba crops by default (DFC_CROP, the DFC VAE authors' crop).
CELEBA_IMAGE_SIZE = (218, 178)  # rows, columns

# CelebA's split sizes (list_eval_partition.txt): train, validation, test.
CELEBA_SPLIT_SIZES = (162770, 19867, 19962)

_CHUNK = 64  # faces drawn at once by a thread: bounds the memory of the per-pixel layers

# Image coordinates ([-1, 1] across the face's square, y down) of a window that holds every
# pixel of the eyes, nose, mouth and glasses. In face coordinates those parts lie within
# x in [-0.41, 0.41], y in [-0.22, 0.65]; turned by up to 0.26 rad, scaled by up to 1.05 and
# moved by up to 0.08 they stay within these bounds, with a pixel to spare for antialiasing.
FEATURE_WINDOW = ((-0.50, 0.85), (-0.65, 0.65))

_SKIN = np.array([[0.93, 0.76, 0.62], [0.80, 0.60, 0.45], [0.62, 0.44, 0.31],
                  [0.45, 0.31, 0.22]])
_PALE_SKIN = np.array([0.99, 0.93, 0.90])
_DARK_HAIR = np.array([[0.10, 0.07, 0.06], [0.24, 0.15, 0.09], [0.33, 0.21, 0.12]])
_BLOND_HAIR = np.array([[0.96, 0.84, 0.45], [0.90, 0.75, 0.35], [0.98, 0.90, 0.60]])
_HATS = np.array([[0.80, 0.12, 0.12], [0.15, 0.30, 0.75], [0.15, 0.55, 0.25],
                  [0.50, 0.20, 0.60], [0.95, 0.55, 0.10]])
_LIPS = np.array([0.60, 0.15, 0.18])
_MOUTH_INSIDE = np.array([0.25, 0.04, 0.06])
_FRAME = np.array([0.08, 0.08, 0.10])
_EYE_WHITE = np.array([0.97, 0.97, 0.97])
_IRIS = np.array([0.12, 0.10, 0.10])


def synthetic_faces(n: int, seed: int | None = None, size: int = 64):
    """Draw `n` cartoon faces, a stand-in for CelebA: ``(images, attributes)``.

    `images` are float32 in [0, 1] of shape (n, size, size, 3); `attributes` is a pandas
    DataFrame with one column per name in :data:`FACE_ATTRIBUTES`, +1 where the face has
    the attribute and -1 where it does not (CelebA's coding), each drawn with probability
    1/2 independently of the others. The same `seed` gives the same faces at any `size`.

    What each attribute looks like: Smiling, a mouth curved up at the corners (otherwise
    straight or slightly down); Mouth_Slightly_Open, a dark gap below the upper lip;
    Eyeglasses, two dark rims and a bridge; Wearing_Hat, a coloured crown and brim over the
    hair; Pale_Skin, near-white skin (otherwise one of four darker tones); Blond_Hair,
    yellow hair (otherwise black or brown). Position, scale, tilt, background and lighting
    vary independently of all of them.

    Example:
        >>> images, attributes = synthetic_faces(8, seed=1)
        >>> images.shape
        (8, 64, 64, 3)
        >>> sorted(set(attributes["Smiling"]))
        [-1, 1]
    """
    n = positive_int(n, "n")
    size = positive_int(size, "size", minimum=8)
    params = _draw_parameters(n, np.random.default_rng(seed))
    rows = cols = (np.arange(size) + 0.5) / size * 2 - 1
    return _render_all(params, rows, cols), _attribute_table(params)


def write_celeba_layout(path, n: int, seed: int | None = None, image_format: str = "jpg",
                        quality: int = 95):
    """Write `n` synthetic faces in CelebA's on-disk layout under `path`; return `path`.

    A stand-in for CelebA, for lessons and tests without it. `path` gets
    ``img_align_celeba/000001.jpg`` ... (178 x 218 images, the face filling the square that
    :func:`vaelab.datasets.load_celeba` crops by default), ``list_attr_celeba.txt`` (the
    count, the attribute names, one row of +1/-1 per file; only the names in
    :data:`FACE_ATTRIBUTES`, not CelebA's 40) and ``list_eval_partition.txt`` (0, 1, 2 for
    train, validation, test, in CelebA's proportions and order). The faces are those of
    ``synthetic_faces(n, seed)``; `image_format` is ``"jpg"`` (at `quality`) or ``"png"``.
    Every file is written atomically.

    Example:
        >>> write_celeba_layout("faces", 100, seed=1)  # doctest: +SKIP
    """
    n = positive_int(n, "n")
    if image_format not in ("jpg", "png"):
        raise ValueError(f"image_format: expected \"jpg\" or \"png\", got {image_format!r}")
    from PIL import Image  # Pillow comes with Matplotlib

    root = Path(path).expanduser()
    folder = root / "img_align_celeba"
    folder.mkdir(parents=True, exist_ok=True)
    params = _draw_parameters(n, np.random.default_rng(seed))
    rows, cols = _canvas_coordinates()
    names = [f"{i + 1:06d}.{image_format}" for i in range(n)]
    options = {"quality": int(quality)} if image_format == "jpg" else {}
    for chunk in _chunks(n):
        pixels = np.round(_render_all(_take(params, chunk), rows, cols) * 255).astype(np.uint8)
        for i, image in zip(chunk, pixels):
            with atomic_path(folder / names[i]) as tmp:
                Image.fromarray(image).save(tmp, format="JPEG" if image_format == "jpg"
                                            else "PNG", **options)
    table = _attribute_table(params)
    write_text(root / "list_attr_celeba.txt", _attribute_file(names, table))
    write_text(root / "list_eval_partition.txt", "".join(
        f"{name} {part}\n" for name, part in zip(names, celeba_partition(n))))
    return root


def celeba_partition(n: int) -> np.ndarray:
    """Split codes 0 (train), 1 (validation), 2 (test) for `n` files, in CelebA's order and
    proportions (about 80%, 10%, 10%).

    Example:
        >>> np.bincount(celeba_partition(10))
        array([8, 1, 1])
    """
    bounds = np.cumsum(CELEBA_SPLIT_SIZES) / sum(CELEBA_SPLIT_SIZES)
    return np.searchsorted(np.round(bounds * n), np.arange(n), side="right").astype(np.int8)


# --- drawing ------------------------------------------------------------------------------

def _draw_parameters(n: int, rng: np.random.Generator) -> dict:
    """Every random choice for `n` faces, drawn before any pixel so chunks do not matter."""
    flags = {name: rng.random(n) < 0.5 for name in FACE_ATTRIBUTES}
    smile = np.where(flags["Smiling"], rng.uniform(0.09, 0.13, n), rng.uniform(-0.03, 0.0, n))
    return {
        **flags,
        "centre": rng.uniform(-0.08, 0.08, (n, 2)),
        "scale": rng.uniform(0.85, 1.05, n),
        "tilt": rng.uniform(-0.26, 0.26, n),  # radians, about 15 degrees either way
        "sky": rng.uniform(0.15, 0.95, (n, 3)),
        "ground": rng.uniform(0.15, 0.95, (n, 3)),
        "light_direction": rng.uniform(-np.pi, np.pi, n),
        "light_strength": rng.uniform(0.0, 0.35, n),
        "brightness": rng.uniform(0.8, 1.1, n),
        "skin": np.where(flags["Pale_Skin"][:, None], _PALE_SKIN,
                         _SKIN[rng.integers(0, len(_SKIN), n)]),
        "hair": np.where(flags["Blond_Hair"][:, None],
                         _BLOND_HAIR[rng.integers(0, len(_BLOND_HAIR), n)],
                         _DARK_HAIR[rng.integers(0, len(_DARK_HAIR), n)]),
        "hat": _HATS[rng.integers(0, len(_HATS), n)],
        "smile": smile,
        "opening": rng.uniform(0.06, 0.09, n),
        "face_width": rng.uniform(0.50, 0.58, n),
        "eye_spacing": rng.uniform(0.20, 0.25, n),
    }


def _render_all(params: dict, rows, cols) -> np.ndarray:
    """Every face of `params`, drawn chunk by chunk on all CPU cores (NumPy releases the
    GIL); the result does not depend on the chunks or the threads."""
    chunks = _chunks(len(params["scale"]))
    with ThreadPoolExecutor(max_workers=min(len(chunks), os.cpu_count() or 1)) as pool:
        drawn = pool.map(lambda chunk: _render(_take(params, chunk), rows, cols), chunks)
        return np.concatenate(list(drawn))


def _take(params: dict, index) -> dict:
    """The parameters of the faces `index`, floats as float32 (the precision drawn in)."""
    return {key: value[index].astype(np.float32) if value.dtype == np.float64 else value[index]
            for key, value in params.items()}


def _chunks(n: int):
    return [np.arange(start, min(start + _CHUNK, n)) for start in range(0, n, _CHUNK)]


def _attribute_table(params: dict) -> pd.DataFrame:
    return pd.DataFrame({name: np.where(params[name], 1, -1).astype(np.int8)
                         for name in FACE_ATTRIBUTES})


def _attribute_file(names, table: pd.DataFrame) -> str:
    """list_attr_celeba.txt: the count, the names, then a row per file."""
    header = f"{len(names)}\n{' '.join(table.columns)}\n"
    rows = table.to_numpy()
    return header + "".join(name + "".join(f" {v:2d}" for v in row) + "\n"
                            for name, row in zip(names, rows))


def _canvas_coordinates():
    """Face coordinates of a CelebA-sized canvas: [-1, 1] across the DFC crop square."""
    top, left, side = DFC_CROP
    height, width = CELEBA_IMAGE_SIZE
    rows = (np.arange(height) - top + 0.5) / side * 2 - 1
    cols = (np.arange(width) - left + 0.5) / side * 2 - 1
    return rows, cols


def _render(p: dict, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Draw the faces `p` on a grid: `rows`, `cols` are pixel centres, [-1, 1] across the
    face's square. Returns float32 (n, len(rows), len(cols), 3)."""
    n = len(p["scale"])
    rows, cols = rows.astype(np.float32), cols.astype(np.float32)
    v, u = rows[None, :, None], cols[None, None, :]  # image coordinates, y downwards
    # Face coordinates: undo the position, the tilt and the scale of each face.
    du, dv = u - p["centre"][:, 0, None, None], v - p["centre"][:, 1, None, None]
    cos, sin = np.cos(p["tilt"])[:, None, None], np.sin(p["tilt"])[:, None, None]
    scale = p["scale"][:, None, None]
    x, y = (cos * du + sin * dv) / scale, (-sin * du + cos * dv) / scale
    # Edges are blurred over about one pixel, so the drawings are antialiased.
    pixel = np.float32(2.0 / len(cols)) / scale

    def soft(distance):
        """Coverage of a shape from a signed distance (negative inside), in face units."""
        coverage = 0.5 - distance / pixel
        return np.clip(coverage, 0.0, 1.0, out=coverage)

    image = _background(p, v, rows, cols)
    for alpha, colour in _head_layers(p, x, y, soft):
        _paint(image, alpha, colour)
    # The eyes, nose, mouth and glasses lie inside a fixed window of the image whatever the
    # position, scale and tilt: drawing them there alone saves most of the work.
    window = (slice(None), _span(rows, *FEATURE_WINDOW[0]), _span(cols, *FEATURE_WINDOW[1]))
    for alpha, colour in _feature_layers(p, x[window], y[window], soft):
        _paint(image[window], alpha, colour)
    # Lighting: a brightness and a linear ramp across the image from a random direction.
    angle = p["light_direction"][:, None, None]
    ramp = 1 + p["light_strength"][:, None, None] * (np.cos(angle) * u + np.sin(angle) * v)
    image *= (p["brightness"][:, None, None] * ramp)[..., None]
    assert image.shape == (n, len(rows), len(cols), 3)
    return np.clip(image, 0.0, 1.0, out=image)


def _paint(image, alpha, colour):
    """Blend `colour` (one per face) into `image` (or a view of it) in place, with coverage
    `alpha`; only the pixels a part covers are touched, as most parts are small."""
    hit = np.nonzero(alpha)
    covered = image[hit]
    image[hit] = covered + alpha[hit][:, None] * (colour[hit[0]] - covered)


def _span(coordinates, low, high) -> slice:
    """The pixels whose centres lie in [low, high]."""
    inside = np.flatnonzero((coordinates >= low) & (coordinates <= high))
    return slice(inside[0], inside[-1] + 1) if inside.size else slice(0, 0)


def _background(p, v, rows, cols):
    """A vertical gradient between two random colours."""
    t = np.broadcast_to(((v + 1) / 2).clip(0, 1), (len(p["scale"]), len(rows), len(cols)))
    sky, ground = p["sky"][:, None, None, :], p["ground"][:, None, None, :]
    return sky + (ground - sky) * t[..., None]


def _ellipse(x, y, cx, cy, rx, ry):
    """Approximate signed distance to an ellipse (negative inside), in face units."""
    k = np.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2)
    return (k - 1) * np.minimum(rx, ry)


def _per_face(value):
    return np.asarray(value)[:, None, None]


def _head_layers(p, x, y, soft):
    """(coverage, colour) of the hair, face, ears and hat, back to front."""
    w = _per_face(p["face_width"])
    hair, skin = p["hair"], p["skin"]
    hat = _per_face(p["Wearing_Hat"]).astype(np.float32)
    # Hat: a crown over the top of the head and a brim across the forehead.
    crown = np.maximum(_ellipse(x, y, 0, -0.50, w + 0.08, 0.36), y + 0.40)
    brim = _ellipse(x, y, 0, -0.40, w + 0.24, 0.075)
    return [
        # Hair behind the head: a larger ellipse, cut off below the ears.
        (soft(np.maximum(_ellipse(x, y, 0, -0.08, w + 0.14, 0.80), y - 0.30)), hair),
        (soft(_ellipse(x, y, 0, 0.05, w, 0.70)), skin),  # face
        # Ears, half hidden by the face.
        (soft(np.minimum(_ellipse(x, y, -w, 0.02, 0.08, 0.13),
                         _ellipse(x, y, w, 0.02, 0.08, 0.13))), skin * 0.92),
        # A fringe across the forehead, wavy at its lower edge.
        (soft(np.maximum(_ellipse(x, y, 0, 0.05, w + 0.01, 0.71),
                         y + 0.36 - 0.05 * np.cos(9 * x))), hair),
        (soft(crown) * hat, p["hat"]),
        (soft(brim) * hat, p["hat"] * 0.75),
    ]


def _feature_layers(p, x, y, soft):
    """(coverage, colour) of the eyes, nose, mouth and glasses, back to front."""
    nose = (soft(_ellipse(x, y, 0, 0.14, 0.045, 0.09)) * 0.5, p["skin"] * 0.7)
    return _eyes(p, x, y, soft) + [nose] + _mouth(p, x, y, soft) + _glasses(p, x, y, soft)


def _eyes(p, x, y, soft):
    dx = _per_face(p["eye_spacing"])
    eyes = np.minimum(_ellipse(x, y, -dx, -0.06, 0.085, 0.05),
                      _ellipse(x, y, dx, -0.06, 0.085, 0.05))
    irises = np.minimum(_ellipse(x, y, -dx, -0.06, 0.04, 0.04),
                        _ellipse(x, y, dx, -0.06, 0.04, 0.04))
    brows = np.minimum(_ellipse(x, y, -dx, -0.17, 0.10, 0.025),
                       _ellipse(x, y, dx, -0.17, 0.10, 0.025))
    return [(soft(eyes), np.broadcast_to(_EYE_WHITE, p["skin"].shape)),
            (soft(irises), np.broadcast_to(_IRIS, p["skin"].shape)),
            (soft(brows), p["hair"] * 0.8)]


def _glasses(p, x, y, soft):
    """Two round rims around the eyes and a bridge between them."""
    dx = _per_face(p["eye_spacing"])
    on = _per_face(p["Eyeglasses"]).astype(np.float32)
    radius, half_width = 0.13, 0.022
    rims = np.minimum(np.abs(np.hypot(x + dx, y + 0.06) - radius),
                      np.abs(np.hypot(x - dx, y + 0.06) - radius)) - half_width
    bridge = np.maximum(np.abs(y + 0.08) - half_width, np.abs(x) - (dx - radius))
    frame = soft(np.minimum(rims, bridge)) * on
    lenses = soft(np.minimum(np.hypot(x + dx, y + 0.06), np.hypot(x - dx, y + 0.06))
                  - radius) * on * 0.25
    return [(lenses, np.broadcast_to([0.75, 0.85, 0.95], p["skin"].shape)),
            (frame, np.broadcast_to(_FRAME, p["skin"].shape))]


def _mouth(p, x, y, soft):
    """The upper lip is a parabola through the corners, its middle lowered by `smile` (a
    smile: corners up); an open mouth adds a dark gap below it, closed by the lower lip."""
    half = 0.20
    mouth_y = 0.40
    t = np.clip(1 - (x / half) ** 2, 0, None)
    lip = mouth_y + _per_face(p["smile"]) * t  # y of the upper lip at x
    inside_x = np.abs(x) - half
    opening = _per_face(p["opening"]) * np.sqrt(t) * _per_face(p["Mouth_Slightly_Open"])
    gap = np.maximum(np.maximum(lip - y, y - (lip + opening)), inside_x)
    upper = np.maximum(np.abs(y - lip) - 0.022, inside_x)
    lower = np.maximum(np.abs(y - (lip + opening)) - 0.022, inside_x)
    colour = np.broadcast_to(_LIPS, p["skin"].shape)
    return [(soft(gap), np.broadcast_to(_MOUTH_INSIDE, p["skin"].shape)),
            (soft(upper), colour), (soft(lower), colour)]
