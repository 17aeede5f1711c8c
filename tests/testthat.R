library(testthat)
library(vaelab)

test_check("vaelab")
