"""vaelab.inference: shapes, endpoints of interpolations, the latent grid's layout."""

import numpy as np
import pytest
from scipy.stats import norm

import vaelab
from helpers import synthetic_images

LATENT = 3


@pytest.fixture(scope="module")
def vae():
    return vaelab.build_vae(latent_dim=LATENT, seed=6)


@pytest.fixture(scope="module")
def x():
    return synthetic_images(12, seed=4)


def test_encode_and_decode_shapes(vae, x):
    z = vaelab.encode(vae, x)
    assert z.shape == (12, LATENT) and z.dtype == np.float32
    z_mean, z_log_var = vaelab.encode_distribution(vae, x)
    np.testing.assert_array_equal(z, z_mean)
    assert z_log_var.shape == (12, LATENT)
    images = vaelab.decode(vae, z)
    assert images.shape == (12, 28, 28, 1)
    assert 0.0 <= images.min() and images.max() <= 1.0


def test_encoder_and_decoder_work_alone(vae, x):
    encoder, decoder = vae.get_layer("encoder"), vae.get_layer("decoder")
    np.testing.assert_array_equal(vaelab.encode(encoder, x), vaelab.encode(vae, x))
    z = vaelab.encode(vae, x)
    np.testing.assert_array_equal(vaelab.decode(decoder, z), vaelab.decode(vae, z))


def test_chunked_prediction_matches_one_batch(vae, x):
    np.testing.assert_allclose(vaelab.encode(vae, x, batch_size=5), vaelab.encode(vae, x),
                               rtol=1e-5, atol=1e-6)
    z_mean, _ = vaelab.encode_distribution(vae, x, batch_size=5)
    assert z_mean.shape == (12, LATENT)


def test_reconstruct_decodes_the_latent_means(vae, x):
    np.testing.assert_array_equal(vaelab.reconstruct(vae, x),
                                  vaelab.decode(vae, vaelab.encode(vae, x)))
    assert vaelab.reconstruct(vae, x[0, :, :, 0]).shape == (1, 28, 28, 1)


def test_generate(vae):
    images = vaelab.generate(vae, 5, seed=1)
    assert images.shape == (5, 28, 28, 1)
    np.testing.assert_array_equal(images, vaelab.generate(vae, 5, seed=1))
    z = np.random.default_rng(1).standard_normal((5, LATENT)).astype(np.float32)
    np.testing.assert_array_equal(images, vaelab.decode(vae, z))
    with pytest.raises(ValueError, match=r"n: expected an integer >= 1, got 0"):
        vaelab.generate(vae, 0)


def test_decode_refuses_a_latent_size_that_does_not_match(vae):
    with pytest.raises(ValueError, match=r"z: expected shape \(n, 3\) for this model's latent "
                                         r"space, got \(2, 5\)"):
        vaelab.decode(vae, np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"z: latent vectors contain NaN"):
        vaelab.decode(vae, [[0.0, np.nan, 0.0]])


def test_encode_refuses_bad_images(vae):
    with pytest.raises(ValueError, match=r"images: expected shape \(n, 28, 28, 1\) or "
                                         r"\(n, 28, 28\) for model 'vae', "
                                         r"got \(2, 14, 14\)"):
        vaelab.encode(vae, np.zeros((2, 14, 14), np.float32))
    with pytest.raises(ValueError, match=r"images: expected floating-point pixels"):
        vaelab.reconstruct(vae, np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"batch_size: expected an integer >= 1, got 0"):
        vaelab.encode(vae, np.zeros((2, 28, 28), np.float32), batch_size=0)


def test_interpolate_endpoints(vae, x):
    path = vaelab.interpolate(vae, x[0], x[1], steps=4)
    assert path.shape == (5, 28, 28, 1)
    ends = vaelab.decode(vae, vaelab.encode(vae, x[:2]))
    np.testing.assert_allclose(path[0], ends[0], atol=1e-6)
    np.testing.assert_allclose(path[-1], ends[1], atol=1e-6)
    # The middle point decodes the midpoint of the two latent means.
    z = vaelab.encode(vae, x[:2])
    np.testing.assert_allclose(vaelab.interpolate(vae, x[0], x[1], steps=2)[1],
                               vaelab.decode(vae, z.mean(axis=0))[0], atol=1e-6)


def test_interpolate_errors(vae, x):
    with pytest.raises(ValueError, match=r"image_from: expected a single image, got a batch of 2"):
        vaelab.interpolate(vae, x[:2], x[2])
    with pytest.raises(ValueError, match=r"steps: expected an integer >= 1, got 0"):
        vaelab.interpolate(vae, x[0], x[1], steps=0)


def test_grid_values_are_normal_quantiles():
    np.testing.assert_allclose(vaelab.grid_values(15), norm.ppf(np.linspace(0.05, 0.95, 15)),
                               rtol=1e-6)
    values = vaelab.grid_values(4, quantiles=(0.1, 0.9))
    np.testing.assert_allclose(values, norm.ppf([0.1, 0.3666666667, 0.6333333333, 0.9]),
                               rtol=1e-6)
    with pytest.raises(ValueError,
                       match=r"quantiles: expected 0 < low < high < 1, got \(0, 0\.9\)"):
        vaelab.grid_values(4, quantiles=(0, 0.9))
    with pytest.raises(ValueError, match=r"n: expected an integer >= 2, got 1"):
        vaelab.grid_values(1)


def test_latent_grid_layout(vae):
    values = vaelab.grid_values(4)
    grid = vaelab.latent_grid(vae, n=4, dims=(2, 0))
    assert grid.shape == (4, 4, 28, 28, 1)
    for i, j in [(0, 0), (1, 3), (3, 2)]:
        z = np.zeros(LATENT, np.float32)
        z[2], z[0] = values[i], values[j]
        np.testing.assert_allclose(grid[i, j], vaelab.decode(vae, z)[0], atol=1e-6)


def test_latent_grid_errors(vae):
    for dims in [(0, 0), (0, 3), (1,)]:
        with pytest.raises(ValueError, match=r"dims: expected two different latent dimensions "
                                             r"in 0\.\.2"):
            vaelab.latent_grid(vae, n=2, dims=dims)


def test_tile_grid_places_cells_row_by_row():
    grid = np.zeros((2, 3, 28, 28, 1), np.float32)
    for i in range(2):
        for j in range(3):
            grid[i, j] = 10 * i + j
    tiled = vaelab.tile_grid(grid)
    assert tiled.shape == (56, 84)
    assert tiled[0, 0] == 0 and tiled[27, 83] == 2 and tiled[28, 0] == 10 and tiled[55, 56] == 12
    np.testing.assert_array_equal(vaelab.tile_grid(grid[..., 0]), tiled)
    with pytest.raises(ValueError, match=r"grid: expected shape \(rows, cols, h, w\[, 1\]\) or "
                                         r"\(rows, cols, h, w, 3\), got \(28, 28\)"):
        vaelab.tile_grid(np.zeros((28, 28)))


def test_tile_grid_keeps_colour():
    grid = np.zeros((2, 3, 4, 5, 3), np.float32)
    grid[1, 2, 0, 0] = (0.1, 0.2, 0.3)
    tiled = vaelab.tile_grid(grid)
    assert tiled.shape == (8, 15, 3)
    np.testing.assert_array_equal(tiled[4, 10], grid[1, 2, 0, 0])
    assert tiled.sum() == np.float32(0.6)

