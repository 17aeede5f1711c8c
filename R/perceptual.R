#' VGG19 as the perceptual model of the DFC VAE, as in the paper
#'
#' The DFC VAE paper (Hou et al. 2016) compares images by the activations of
#' VGG19, pretrained on ImageNet, at the layers `relu1_1`, `relu2_1` and
#' `relu3_1` (`"vae-123"`, the authors' code) or `relu3_1`, `relu4_1` and
#' `relu5_1` (`"vae-345"`), each weighted 0.5. This builds VGG19's convolutions
#' only as deep as `layer_set` needs, with those names: Keras's
#' `block1_conv1`, whose ReLU is part of the convolution, is `relu1_1`, and so
#' on. Pass it to [build_dfc_vae()] with `layers` naming the set's layers.
#'
#' The model takes images with pixels in `[0, 1]`, as the decoders output
#' them; a single gray channel is repeated to three. Its first layer does
#' Keras's ImageNet ("caffe") preprocessing: pixels times 255, RGB to BGR,
#' minus ImageNet's mean pixel. VGG19 is slow without a GPU (about 0.9 GFLOPs
#' per 64 x 64 image up to `relu3_1`, five times the paper's encoder and
#' decoder together), which is why vaelab's own DFC VAEs use small classifiers
#' instead.
#'
#' @param input_shape Image height, width and channels (1 or 3); sides of at
#'   least 32 pixels.
#' @param layer_set `"vae-123"` or `"vae-345"`.
#' @param weights `"imagenet"` for VGG19's ImageNet weights, the file
#'   `vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5` in the Keras cache
#'   (`$KERAS_HOME/models/`, by default `~/.keras/models/`), downloaded there
#'   once if a network is at hand; the path of that file; or `NULL` for random
#'   weights.
#' @param name Name of the Keras model.
#' @return A Keras model (not compiled) whose output is the deepest layer of
#'   `layer_set`.
#' @export
#' @examplesIf vaelab_available()
#' vgg <- vgg19_perceptual_model(c(32, 32, 3), weights = NULL)
#' vapply(vgg$layers, function(layer) layer$name, character(1))
#' \dontrun{
#' # The paper's VAE-123 on 64 x 64 colour images, with ImageNet weights:
#' vgg <- vgg19_perceptual_model(c(64, 64, 3), layer_set = "vae-123")
#' dfc <- build_dfc_vae(vgg, latent_dim = 100,
#'                      layers = c("relu1_1", "relu2_1", "relu3_1"),
#'                      layer_weights = c(0.5, 0.5, 0.5))
#' }
vgg19_perceptual_model <- function(input_shape = c(64, 64, 3), layer_set = "vae-123",
                                   weights = "imagenet", name = "vgg19") {
  vaelab_call("vgg19_perceptual_model", input_shape = as_ints(input_shape, "input_shape"),
              layer_set = as_scalar(layer_set, "layer_set"),
              weights = as_path(weights, "weights"),
              name = as_scalar(name, "name"))
}
