"""vaelab: variational autoencoders for teaching, from Python and R.

Implements the plain VAE and the deep feature consistent VAE (DFC VAE) of Krasser's
article, and the ``add_loss`` variational layer of "Deep Learning with R" 8.4, on Keras 3.

Example:
    >>> import vaelab
    >>> (x_train, y_train), (x_test, y_test) = vaelab.load_mnist()  # doctest: +SKIP
    >>> vae = vaelab.build_vae(latent_dim=5, seed=1)
    >>> vaelab.train_vae(vae, x_train, epochs=15)  # doctest: +SKIP
"""

from .output import import_backend as _import_backend

_import_backend()  # before any module imports Keras: see vaelab.output

from .data import download_mnist, load_mnist, read_idx
from .distances import (KIDResult, frechet_distance, generation_scores, image_features,
                        kernel_inception_distance)
from .inference import (decode, encode, encode_distribution, generate, grid_values,
                        interpolate, is_conditional, latent_grid, one_hot, reconstruct,
                        tile_grid)
from .layers import PerceptualVariationalLayer, Sampling, VariationalLayer
from .losses import kl_divergence
from .metrics import (classifier_accuracy, laplacian_variance, predict_digits,
                      reconstruction_errors)
from .models import (build_decoder, build_dfc_vae, build_encoder, build_perceptual_model,
                     build_vae, feature_extractor, latent_dim_of, load_model, load_weights,
                     save_model, save_weights, train_perceptual_model)
from .plots import (plot_edit_rows, plot_images, plot_interpolations, plot_laplacian_boxplot,
                    plot_laplacian_histograms, plot_latent_scatter, plot_manifold, save_figure)
from .pretrained import available_pretrained, load_keras2_weights, load_pretrained, manifest
from .stats import (TTestResult, WilcoxonResult, blur_comparison, cohens_dz, paired_ttest,
                    wilcoxon_test)
from .training import TrainingDivergedError, train_vae
# Beyond the DFC VAE: conditional VAE, VAE-GAN, attribute vectors.
from .attributes import apply_attribute, attribute_vector, ink_mass, slant
from .cvae import (build_conditional_decoder, build_conditional_encoder, build_cvae,
                   generation_accuracy, style_transfer, train_cvae)
from .evaluation import Evaluation, compare_sharpness, evaluate
from .vaegan import VAEGAN, build_discriminator, build_vaegan, train_vaegan

__version__ = "0.1.0"

