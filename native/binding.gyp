{
  "targets": [
    {
      "target_name": "deepstruct_native",
      "sources": ["dense.c", "pool.c", "graph.c", "graph-napi.c", "adam.c", "finite.c", "conv.c", "select.c"],
      "cflags": ["-O3", "-fno-math-errno", "-Wall", "-Wextra"],
      "libraries": ["-lopenblas", "-lm"]
    }
  ]
}
