# How the R API maps onto Python's, declared once. vaelab_call() reads the renames; the
# contract test (tests/testthat/test-contract.R) checks every other line against the
# signatures of the Python core, so that a change on one side fails until the other follows.
api_contract <- list(
  # R name = Python name, where they differ (keras's R naming for layers).
  renames = c(layer_sampling = "Sampling", layer_variational = "VariationalLayer"),
  # Exported R functions with no Python twin.
  r_only = c("install_vaelab", "vaelab_available", "vaelab_config"),
  # Names exported by vaelab/__init__.py that R does not wrap: classes R users meet as
  # results or error classes, building blocks of the models, and file helpers.
  python_only = c(
    "download_mnist", "download_fashion_mnist", "read_idx", "read_image", "ImageFiles",
    "KIDResult", "TTestResult", "WilcoxonResult",
    "TrainingDivergedError", "PerceptualVariationalLayer", "kl_divergence",
    "feature_extractor", "latent_dim_of", "save_figure", "load_keras2_weights",
    "build_conditional_encoder", "build_conditional_decoder", "is_conditional", "one_hot",
    "VAEGAN", "build_discriminator", "execution_plan", "runtime_info"
  ),
  # Arguments only Python has: R's plots draw on the current device (no `path`), R has no
  # Keras callbacks, and the shipped weights are always the package's own.
  python_only_args = list(
    train_vae = "callbacks", train_cvae = "callbacks", train_vaegan = "on_epoch_end",
    plot_images = "path",
    plot_interpolations = "path", plot_manifold = "path", plot_latent_scatter = "path",
    plot_laplacian_boxplot = "path", plot_laplacian_histograms = "path",
    plot_edit_rows = "path", load_pretrained = "weights_dir",
    available_pretrained = "weights_dir", manifest = "weights_dir"
  ),
  # Arguments only R has: keras's R convention of layer functions called on a tensor list.
  # The loaders of image files read the first `n` into R arrays, or with `stream = TRUE` give
  # Python's ImageFiles, which Python's loaders always return.
  r_only_args = list(layer_sampling = "object", layer_variational = "object",
                     load_image_folder = c("n", "stream"), load_celeba = c("n", "stream")),
  # Defaults that differ on purpose: R counts latent dimensions from 1, and R's paired
  # t-test runs in R unless asked for SciPy.
  r_defaults = list(
    latent_grid = c("dims"), plot_latent_scatter = c("dims"), paired_ttest = c("engine")
  )
)

# The Python name of an R wrapper's function.
python_name <- function(fun) {
  renames <- api_contract$renames
  if (fun %in% names(renames)) renames[[fun]] else fun
}
