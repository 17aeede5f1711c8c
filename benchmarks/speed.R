# Times vaelab's paths from R for benchmarks/train_speed.py, which installs the package into a
# temporary library, starts one Rscript per measurement and reads the "RESULT {json}" line:
#   Rscript speed.R train <vae|dfc_vae> <batch size|default> <images> <epochs> <repeats>
#   Rscript speed.R infer - - <images> - <repeats>
# Data comes from load_mnist() as an R user gets it (VAELAB_DATA or the loader's search).

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 6 || !args[1] %in% c("train", "infer")) {
  stop("usage: Rscript speed.R train|infer <model> <batch> <images> <epochs> <repeats>")
}
task <- args[1]
kind <- args[2]
batch <- args[3]
images <- as.integer(args[4])
repeats <- as.integer(args[6])

suppressPackageStartupMessages(library(vaelab))
invisible(vaelab_available(strict = TRUE))

# Wall and CPU seconds (all threads of this process, Python's included) of one call.
timed <- function(fn) {
  start <- proc.time()
  fn()
  d <- proc.time() - start
  c(wall = d[["elapsed"]], cpu = d[["user.self"]] + d[["sys.self"]])
}

json_numbers <- function(v) paste0("[", paste(sprintf("%.6f", v), collapse = ", "), "]")

build <- function(kind, seed) {
  if (kind == "vae") {
    build_vae(latent_dim = 5, seed = seed)
  } else {
    build_dfc_vae(build_perceptual_model(seed = seed), latent_dim = 5, seed = seed)
  }
}

if (task == "train") {
  epochs <- as.integer(args[5])
  x <- load_mnist(splits = "train")$train$x[seq_len(images), , , , drop = FALSE]
  model <- build(kind, 1)
  fit <- function(n) {
    if (batch == "default") {
      train_vae(model, x, epochs = n, verbose = FALSE)
    } else {
      train_vae(model, x, epochs = n, batch_size = as.integer(batch), verbose = FALSE)
    }
  }
  used <- if (batch == "default") eval(formals(train_vae)$batch_size) else as.integer(batch)
  first <- timed(function() fit(1))[["wall"]]
  calls <- vapply(seq_len(repeats), function(i) {
    t <- timed(function() fit(epochs))
    sprintf('{"wall": %.6f, "cpu": %.6f}', t[["wall"]], t[["cpu"]])
  }, character(1))
  cat(sprintf('RESULT {"batch_size_used": %d, "first_call": %.6f, "calls": [%s]}\n',
              as.integer(used), first, paste(calls, collapse = ", ")))
} else {
  test <- load_mnist(splits = "test")$test
  x <- test$x[seq_len(images), , , , drop = FALSE]
  y <- test$y[seq_len(images)]
  vae <- build("vae", 1)
  dfc <- build("dfc_vae", 2)
  recs <- list("plain VAE" = reconstruct(vae, x), "DFC VAE" = reconstruct(dfc, x))
  tasks <- list(
    encode = function() encode(vae, x),
    reconstruct = function() reconstruct(vae, x),
    laplacian_variance = function() laplacian_variance(x),
    blur_comparison = function() blur_comparison(x, y, recs)
  )
  times <- vapply(names(tasks), function(name) {
    tasks[[name]]() # warm-up
    secs <- vapply(seq_len(repeats), function(i) timed(tasks[[name]])[["wall"]], numeric(1))
    sprintf('"%s": %s', name, json_numbers(secs))
  }, character(1))
  cat(sprintf('RESULT {"tasks": {%s}}\n', paste(times, collapse = ", ")))
}
