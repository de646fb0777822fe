{
  "targets": [
    {
      "target_name": "deepstruct_native",
      "sources": ["dense.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "libraries": ["-lopenblas"]
    }
  ]
}
