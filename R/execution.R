#' Time the ways a VAE can train on this machine and keep the fastest
#'
#' A model built with `jit_compile = "auto"` (the default) measures this by
#' itself at the start of a long training run (2,000 steps or more) on
#' TensorFlow without a GPU, and caches the result per machine, architecture
#' and batch size, so that later runs start at once. Call this to measure now,
#' or after changing machines. The plans differ in speed only: XLA (for the
#' whole model, the encoder and decoder alone, or not at all) and a rewrite of
#' single-channel convolutions. Weights, optimizer state and random generators
#' are put back as they were. Set the environment variable `VAELAB_TUNE` to
#' `"off"` for each architecture's fixed default, or to `"always"` to measure
#' at the first training call however short.
#'
#' @param model A VAE from [build_vae()], [build_dfc_vae()], [build_cvae()]
#'   or [load_model()].
#' @param images Training images of the model's shape (the first `batch_size`
#'   are used).
#' @param batch_size The batch size the model will train with.
#' @param cache Write the choice to vaelab's cache folder (`VAELAB_CACHE`,
#'   else `~/.cache/vaelab`).
#' @return A named list: milliseconds per training step of each plan, and
#'   `chosen`, the fastest plan's name. Empty where there is nothing to choose
#'   (other backends, or a GPU, where Keras's own choice stands).
#' @export
#' @examplesIf vaelab_available()
#' x <- array(runif(64 * 28 * 28), c(64, 28, 28, 1))
#' str(tune_execution(build_vae(seed = 1), x, batch_size = 32, cache = FALSE))
tune_execution <- function(model, images, batch_size = 32, cache = TRUE) {
  vaelab_call(
    "tune_execution", model = as_model(model), images = as_images(images),
    batch_size = as_int(batch_size, "batch_size"), cache = as_scalar(cache, "cache")
  )
}
