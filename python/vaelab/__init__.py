"""vaelab: variational autoencoders for teaching, from Python and R.

Implements the plain VAE and the deep feature consistent VAE (DFC VAE) of Krasser's
article, and the ``add_loss`` variational layer of "Deep Learning with R" 8.4, on Keras 3;
beyond them, a conditional VAE, a VAE-GAN and attribute vectors.

Example:
    >>> import vaelab
    >>> (x_train, y_train), (x_test, y_test) = vaelab.load_mnist()  # doctest: +SKIP
    >>> vae = vaelab.build_vae(latent_dim=5, seed=1)
    >>> vaelab.train_vae(vae, x_train, epochs=15)  # doctest: +SKIP
"""

from .output import import_backend as _import_backend

_import_backend()  # before any module imports Keras: see vaelab.output

from .attributes import apply_attribute, attribute_vector, attribute_vectors, ink_mass, slant
from .cifar import load_cifar10
from .classifiers import (
    attribute_accuracy,
    attribute_names,
    attribute_probabilities,
    build_attribute_classifier,
    train_attribute_classifier,
)
from .cvae import (
    build_conditional_decoder,
    build_conditional_encoder,
    build_cvae,
    generation_accuracy,
    style_transfer,
    train_cvae,
)
from .data import download_fashion_mnist, download_mnist, load_fashion_mnist, load_mnist, read_idx
from .datasets import ImageFiles, load_celeba, load_image_folder, read_image
from .distances import (
    KIDResult,
    frechet_distance,
    generation_scores,
    image_features,
    kernel_inception_distance,
)
from .evaluation import attribute_effect, compare_sharpness, evaluate_faces
from .execution import execution_plan, tune_execution
from .faces import synthetic_faces, write_celeba_layout
from .inference import (
    decode,
    encode,
    encode_distribution,
    generate,
    grid_values,
    interpolate,
    is_conditional,
    latent_grid,
    one_hot,
    reconstruct,
    tile_grid,
)
from .layers import PerceptualVariationalLayer, Sampling, VariationalLayer
from .losses import kl_divergence
from .metrics import (
    classifier_accuracy,
    laplacian_variance,
    predict_digits,
    reconstruction_errors,
)
from .models import (
    build_decoder,
    build_dfc_vae,
    build_encoder,
    build_perceptual_model,
    build_vae,
    feature_extractor,
    image_shape_of,
    latent_dim_of,
    load_model,
    load_weights,
    save_model,
    save_weights,
    train_perceptual_model,
)
from .perceptual import VGG19_LAYER_SETS, vgg19_perceptual_model
from .plots import (
    plot_edit_rows,
    plot_images,
    plot_interpolations,
    plot_laplacian_boxplot,
    plot_laplacian_histograms,
    plot_latent_scatter,
    plot_manifold,
    save_figure,
)
from .pretrained import available_pretrained, load_keras2_weights, load_pretrained, manifest
from .runtime import runtime_info
from .stats import (
    TTestResult,
    WilcoxonResult,
    blur_comparison,
    cohens_dz,
    paired_ttest,
    wilcoxon_test,
)
from .training import TrainingDivergedError, train_vae
from .vaegan import VAEGAN, build_discriminator, build_vaegan, train_vaegan

# The public API: what the R package wraps, or lists as Python-only.
__all__ = [
    "apply_attribute", "attribute_accuracy", "attribute_effect", "attribute_names",
    "attribute_probabilities", "attribute_vector", "attribute_vectors", "available_pretrained",
    "blur_comparison", "build_attribute_classifier",
    "build_conditional_decoder", "build_conditional_encoder", "build_cvae", "build_decoder",
    "build_dfc_vae", "build_discriminator", "build_encoder", "build_perceptual_model",
    "build_vae", "build_vaegan", "classifier_accuracy", "cohens_dz", "compare_sharpness",
    "decode", "download_fashion_mnist", "download_mnist", "encode", "encode_distribution",
    "evaluate_faces", "execution_plan",
    "feature_extractor", "frechet_distance", "generate", "generation_accuracy",
    "generation_scores", "grid_values", "image_features", "image_shape_of", "ImageFiles",
    "ink_mass", "interpolate", "is_conditional", "kernel_inception_distance", "KIDResult",
    "kl_divergence", "laplacian_variance", "latent_dim_of", "latent_grid", "load_celeba",
    "load_cifar10",
    "load_fashion_mnist", "load_image_folder", "load_keras2_weights", "load_mnist",
    "load_model", "load_pretrained", "load_weights", "manifest", "one_hot", "paired_ttest",
    "PerceptualVariationalLayer", "plot_edit_rows", "plot_images", "plot_interpolations",
    "plot_laplacian_boxplot", "plot_laplacian_histograms", "plot_latent_scatter",
    "plot_manifold", "predict_digits", "read_idx", "read_image", "reconstruct",
    "reconstruction_errors", "runtime_info", "Sampling", "save_figure", "save_model",
    "save_weights", "slant",
    "style_transfer", "synthetic_faces", "tile_grid", "train_attribute_classifier",
    "train_cvae", "train_perceptual_model", "tune_execution",
    "train_vae", "train_vaegan", "TrainingDivergedError", "TTestResult", "VAEGAN",
    "VariationalLayer", "VGG19_LAYER_SETS", "vgg19_perceptual_model", "wilcoxon_test",
    "WilcoxonResult", "write_celeba_layout",
]

__version__ = "0.1.0"

