#' The variational layer: adds the VAE loss with `add_loss`
#'
#' Called on `list(x, x_decoded, z_mean, z_log_var)`, it adds the VAE loss
#' (reconstruction plus KL divergence) to the model and returns `x_decoded`
#' unchanged, so a model ending in it trains without a loss argument, as in
#' section 8.4 of "Deep Learning with R". In Keras 3 the layer receives
#' `z_mean` and `z_log_var` as inputs instead of reading them from the
#' enclosing scope.
#'
#' @param object A list of the four tensors, or missing to get the layer
#'   itself.
#' @param recipe `"elbo"` (per-image sums, as in the article) or `"book"`
#'   (pixel-mean cross-entropy and KL weight 5e-4, as in the book).
#' @param likelihood The reconstruction term: `"bernoulli"` (binary
#'   cross-entropy, the article's) or `"gaussian"` (half the squared error,
#'   for colour photographs), as in [build_vae()].
#' @param name Optional layer name.
#' @return The output tensor, or the layer when `object` is missing.
#' @export
#' @examplesIf vaelab_available()
#' keras <- reticulate::import("keras")
#' encoder <- build_encoder(latent_dim = 2)
#' decoder <- build_decoder(latent_dim = 2)
#' input_img <- keras$Input(shape = c(28L, 28L, 1L))
#' c_mean_logvar <- encoder(input_img)
#' z_mean <- c_mean_logvar[[1]]
#' z_log_var <- c_mean_logvar[[2]]
#' z <- layer_sampling(list(z_mean, z_log_var), seed = 1)
#' z_decoded <- decoder(z)
#' y <- layer_variational(list(input_img, z_decoded, z_mean, z_log_var), recipe = "book")
#' vae <- keras$Model(input_img, y, name = "vae")
#' vae$compile(optimizer = "rmsprop")
#' # For colour images, the Gaussian likelihood:
#' layer_variational(likelihood = "gaussian")$likelihood
layer_variational <- function(object, recipe = "elbo", likelihood = "bernoulli", name = NULL) {
  layer <- vaelab_call("layer_variational", recipe = as_scalar(recipe, "recipe"),
                       likelihood = as_scalar(likelihood, "likelihood"),
                       name = as_scalar(name, "name"))
  apply_layer(layer, object, 4L, "list(x, x_decoded, z_mean, z_log_var)")
}

#' The sampling layer: z = z_mean + exp(z_log_var / 2) * epsilon
#'
#' Draws a latent vector from the encoder's distribution with the
#' reparameterisation trick, so gradients flow through `z_mean` and
#' `z_log_var`. The book prints `exp(z_log_var) * epsilon`, which scales by
#' the variance instead of the standard deviation; vaelab uses the standard
#' deviation.
#'
#' @param object `list(z_mean, z_log_var)`, or missing to get the layer itself.
#' @param seed Optional seed of the noise.
#' @param name Optional layer name.
#' @return The sampled tensor, or the layer when `object` is missing.
#' @export
#' @examplesIf vaelab_available()
#' keras <- reticulate::import("keras")
#' z_mean <- keras$Input(shape = list(2L))
#' z_log_var <- keras$Input(shape = list(2L))
#' layer_sampling(list(z_mean, z_log_var), seed = 1)
layer_sampling <- function(object, seed = NULL, name = NULL) {
  layer <- vaelab_call("layer_sampling", seed = as_optional_int(seed, "seed"),
                       name = as_scalar(name, "name"))
  apply_layer(layer, object, 2L, "list(z_mean, z_log_var)")
}

# The layer itself when `object` is missing, else the layer called on it.
apply_layer <- function(layer, object, n, expected, call = sys.call(sys.parent())) {
  if (missing(object)) {
    return(layer)
  }
  if (!is.list(object) || length(object) != n ||
      !all(vapply(object, inherits, logical(1), "python.builtin.object"))) {
    input_error(sprintf("object: expected %s of Keras tensors, got %s",
                        expected, describe(object)), call)
  }
  vaelab_method(layer, "__call__", object, .call = call)
}
