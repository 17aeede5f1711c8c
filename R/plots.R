#' Draw rows of images
#'
#' One row per element of `rows`, e.g. originals, plain VAE and DFC VAE
#' reconstructions, drawn with R graphics and labelled with the element names:
#' grey images in grey levels (MNIST's white digits on black), colour images
#' in colour (channels red, green, blue). Images may have any size; each is
#' drawn as large as its cell allows without stretching.
#' `plot_interpolations()` draws interpolation rows such as
#' `list("1 -> 5" = interpolate(vae, one, five))` the same way.
#'
#' @param rows A named list of image arrays `n x height x width x channels`
#'   with 1 or 3 channels (grey ones may leave out the last extent), or one
#'   array.
#' @param titles Optional titles of the columns.
#' @return `rows`, invisibly.
#' @export
#' @examplesIf vaelab_available()
#' x <- array(runif(5 * 28 * 28), c(5, 28, 28, 1))
#' plot_images(list(noise = x, half = x / 2), titles = 1:5)
#' faces <- synthetic_faces(4, seed = 1)
#' plot_images(list(faces = faces$images, grey = faces$images[, , , 1, drop = FALSE]))
plot_images <- function(rows, titles = NULL) {
  input <- rows
  if (!is.list(rows)) {
    rows <- list(rows)
  }
  labels <- if (is.null(names(rows))) rep("", length(rows)) else names(rows)
  call <- sys.call()
  rows <- lapply(seq_along(rows), function(i) {
    checked_images(rows[[i]], sprintf("rows[[%d]]", i), call)
  })
  # Every cell fits the largest image, with a gap of 1/14 of it (2 pixels at 28 x 28).
  size <- apply(vapply(rows, function(r) dim(r)[2:3], integer(2)), 1, max)
  cell <- size + max(size) / 14
  ncol <- max(vapply(rows, function(r) dim(r)[1], integer(1)))
  old <- graphics::par(mar = c(0.2, max(nchar(labels), 0) * 0.55 + 0.5,
                               if (is.null(titles)) 0.2 else 1.2, 0.2))
  on.exit(graphics::par(old))
  graphics::plot.new()
  graphics::plot.window(xlim = c(0, ncol * cell[2]), ylim = c(0, length(rows) * cell[1]),
                        asp = 1, xaxs = "i", yaxs = "i")
  for (r in seq_along(rows)) {
    middle <- (length(rows) - r + 0.5) * cell[1]
    for (k in seq_len(dim(rows[[r]])[1])) {
      draw_image(image_raster(rows[[r]], k), (k - 0.5) * cell[2], middle, size)
    }
    graphics::mtext(labels[r], side = 2, at = middle, las = 1, line = 0.2, cex = 0.8)
  }
  if (!is.null(titles)) {
    graphics::mtext(as.character(titles), side = 3, at = (seq_along(titles) - 0.5) * cell[2],
                    line = 0.1, cex = 0.7)
  }
  invisible(input)
}

# Image k of an array n x height x width x channels as a raster: grey levels for 1 channel,
# colours (grDevices::rgb() of the red, green and blue channels) for 3.
image_raster <- function(images, k) {
  d <- dim(images)
  image <- array(images[k, , , , drop = FALSE], d[-1])
  if (d[4] == 1) {
    dim(image) <- d[2:3]
  }
  grDevices::as.raster(image)
}

# Draw a raster centred at (x, y), as large as fits a box `box` = c(height, width) without
# stretching it.
draw_image <- function(raster, x, y, box) {
  scale <- min(box / dim(raster))
  half <- dim(raster) * scale / 2
  graphics::rasterImage(raster, x - half[2], y - half[1], x + half[2], y + half[1],
                        interpolate = FALSE)
}

#' @rdname plot_images
#' @export
plot_interpolations <- function(rows) {
  plot_images(rows)
}

#' Draw the latent manifold as one image
#'
#' Tiles the grid of [latent_grid()] into one raster, white digits on black as
#' in the book's figure (colour images in colour), with the latent coordinates
#' of rows and columns on the axes.
#'
#' @param grid An array `n x n x height x width x channels` from
#'   [latent_grid()], grey or colour, of any size.
#' @param quantiles The quantiles the grid was made with.
#' @return The tiled image ([tile_grid()]: a matrix for grey images, an array
#'   `rows x columns x 3` for colour ones), invisibly.
#' @export
#' @examplesIf vaelab_available()
#' plot_manifold(latent_grid(build_vae(latent_dim = 2, seed = 1), n = 5))
#' colour <- build_vae(latent_dim = 2, input_shape = c(32, 32, 3), seed = 1)
#' plot_manifold(latent_grid(colour, n = 4))
plot_manifold <- function(grid, quantiles = c(0.05, 0.95)) {
  image <- tile_grid(grid)
  n <- dim(grid)[1]
  side <- dim(image)[1:2] / n
  values <- sprintf("%.2f", round(grid_values(n, quantiles), 2) + 0) # + 0 turns -0 into 0
  old <- graphics::par(mar = c(4, 4, 0.5, 0.5))
  on.exit(graphics::par(old))
  graphics::plot.new()
  graphics::plot.window(xlim = c(0, ncol(image)), ylim = c(0, nrow(image)), asp = 1,
                        xaxs = "i", yaxs = "i")
  graphics::rasterImage(grDevices::as.raster(image), 0, 0, ncol(image), nrow(image),
                        interpolate = FALSE)
  at <- seq_len(n) - 0.5
  graphics::axis(1, at = at * side[2], labels = values, las = 2, cex.axis = 0.6)
  # Row 1 of the grid is drawn at the top.
  graphics::axis(2, at = rev(at) * side[1], labels = values, las = 1, cex.axis = 0.6)
  graphics::title(xlab = "latent dimension 2", ylab = "latent dimension 1", line = 3)
  invisible(image)
}

#' Scatter plot of latent means coloured by digit
#'
#' @param z Latent means, a matrix `n x latent_dim` (from [encode()]).
#' @param labels Digit labels 0 to 9 of the encoded images.
#' @param dims The two latent dimensions to show (1-based).
#' @return `z`, invisibly.
#' @export
#' @examplesIf vaelab_available()
#' z <- matrix(rnorm(200), ncol = 2)
#' plot_latent_scatter(z, rep(0:9, 10))
plot_latent_scatter <- function(z, labels, dims = c(1, 2)) {
  input <- z
  z <- as_array(z, "z")
  if (is.null(dim(z))) dim(z) <- c(1L, length(z))
  z <- vaelab_call("as_latents", z = z, latent_dim = ncol(z), .module = "checks")
  labels <- checked_labels(labels, nrow(z))
  dims <- unlist(vaelab_call("as_dims", dims = as_array(dims, "dims"), latent_dim = ncol(z),
                             first = 1L, .module = "checks")) + 1L
  colours <- grDevices::palette.colors(10, "Tableau 10")
  old <- graphics::par(mar = c(4, 4, 0.5, 4), xpd = NA)
  on.exit(graphics::par(old))
  graphics::plot(z[, dims[1]], z[, dims[2]], col = colours[labels + 1], pch = 16, cex = 0.3,
                 xlab = sprintf("z[%d]", dims[1]), ylab = sprintf("z[%d]", dims[2]))
  usr <- graphics::par("usr")
  graphics::legend(usr[2], usr[4], legend = 0:9, col = colours, pch = 16, title = "digit",
                   bty = "n", cex = 0.8)
  invisible(input)
}

#' Laplacian variance per digit class, and its histograms
#'
#' `plot_laplacian_boxplot()` draws one box of [laplacian_variance()] per
#' digit (ones are the least sharp, then sevens). `plot_laplacian_histograms()`
#' overlays histograms of several sets of values (originals and
#' reconstructions), for digits other than 1 and for 1 separately, as in the
#' article.
#'
#' @param images An array `n x height x width x channels` (see
#'   [laplacian_variance()]).
#' @param labels Digit labels 0 to 9.
#' @param blur A named list of Laplacian variances, one vector per set of
#'   images, e.g. `list(original = v1, "plain VAE" = v2)`.
#' @param bins Number of bins.
#' @return The Laplacian variances (boxplot) or `blur` (histograms), invisibly.
#' @export
#' @examplesIf vaelab_available()
#' x <- array(runif(40 * 28 * 28), c(40, 28, 28, 1))
#' labels <- rep(0:9, 4)
#' plot_laplacian_boxplot(x, labels)
#' plot_laplacian_histograms(list(noise = laplacian_variance(x),
#'                                half = laplacian_variance(x / 2)), labels, bins = 10)
plot_laplacian_boxplot <- function(images, labels) {
  values <- laplacian_variance(images)
  by_digit <- split(values, factor(checked_labels(labels, length(values)), levels = 0:9))
  graphics::boxplot(by_digit, xlab = "digit", ylab = "variance of the Laplacian",
                    pch = 20, cex = 0.4, col = "grey90")
  invisible(values)
}

#' @rdname plot_laplacian_boxplot
#' @export
plot_laplacian_histograms <- function(blur, labels, bins = 50) {
  input <- blur
  labels <- checked_labels(labels)
  blur <- vaelab_call("as_named_values", values = as_named_list(blur, as_array),
                      name = "blur", n = length(labels), .module = "checks")
  bins <- vaelab_call("positive_int", value = as_int(bins, "bins"), name = "bins",
                      .module = "checks")
  colours <- grDevices::palette.colors(length(blur) + 1, "Okabe-Ito")[-1]
  old <- graphics::par(mfrow = c(1, 2), mar = c(4, 4, 2, 0.5))
  on.exit(graphics::par(old))
  groups <- vaelab_call("default_groups", labels = labels, .module = "stats")
  for (group in names(groups)) {
    mask <- groups[[group]]
    values <- lapply(blur, function(v) v[mask])
    if (!any(mask)) {
      graphics::plot.new()
      graphics::title(main = group)
      graphics::text(0.5, 0.5, "no images")
      next
    }
    range <- range(unlist(values))
    if (diff(range) == 0) range <- range + c(-0.5, 0.5)
    breaks <- seq(range[1], range[2], length.out = bins + 1)
    hists <- lapply(values, graphics::hist, breaks = breaks, plot = FALSE)
    top <- max(unlist(lapply(hists, `[[`, "counts")))
    graphics::plot(NA, xlim = range, ylim = c(0, top), main = group,
                   xlab = "variance of the Laplacian", ylab = "images")
    for (k in seq_along(hists)) {
      graphics::plot(hists[[k]], col = grDevices::adjustcolor(colours[k], 0.2),
                     border = grDevices::adjustcolor(colours[k], 0.6), add = TRUE)
    }
    graphics::legend("topright", legend = names(values),
                     fill = grDevices::adjustcolor(colours, 0.4), bty = "n", cex = 0.8)
  }
  invisible(input)
}

#' Draw edit rows: style transfer or attribute edits
#'
#' One row per image of an array `n x m x height x width x channels` from
#' [style_transfer()] or [apply_attribute()], drawn with [plot_images()]:
#' grey or colour, any size.
#'
#' @param edits An array `n x m x height x width x channels` (grey edits may
#'   leave out the last extent).
#' @param column_titles Optional titles of the `m` columns (target digits,
#'   strengths).
#' @param row_names Optional names of the `n` rows.
#' @return `edits`, invisibly.
#' @export
#' @examplesIf vaelab_available()
#' edits <- array(runif(2 * 3 * 28 * 28), c(2, 3, 28, 28, 1))
#' plot_edit_rows(edits, column_titles = c(-1, 0, 1), row_names = c("a", "b"))
#' faces <- array(runif(2 * 3 * 64 * 64 * 3), c(2, 3, 64, 64, 3))
#' plot_edit_rows(faces, column_titles = c(-1, 0, 1))
plot_edit_rows <- function(edits, column_titles = NULL, row_names = NULL) {
  images <- vaelab_call("as_edits", edits = as_array(edits, "edits"), shape = NULL,
                        .module = "checks")
  d <- dim(images)
  rows <- lapply(seq_len(d[1]), function(i) {
    array(images[i, , , , , drop = FALSE], d[-1])
  })
  names(rows) <- if (is.null(row_names)) seq_len(d[1]) else row_names
  plot_images(rows, titles = column_titles)
  invisible(edits)
}

# Images of any size as Python checks them, back in R as an array
# n x height x width x channels (1 or 3 channels).
checked_images <- function(images, name, call = sys.call(-1)) {
  vaelab_call("as_images", x = as_images(images, name, call), name = name, shape = NULL,
              .module = "checks", .call = call)
}

checked_labels <- function(labels, n = NULL, call = sys.call(-1)) {
  as.integer(vaelab_call("as_labels", y = as_labels(labels, call = call), n = n,
                         .module = "checks", .call = call))
}
