/**
 * The Python of cell networks (runtime/cells/): every cell and the head is a
 * stack of feature layers (features.ts's Features: masked convs, batch norm,
 * pools), kept in one module dictionary by the names the runtime gives them
 * (`cell3`, `head`), so parameters, masks and run-folder entries are the
 * feature layers' own. Which cell reads which is not here but in each
 * network's forward (network.ts), written out vertex by vertex.
 */
export const CELLS = String.raw`def concat_padded(maps):
    """runtime/cells/forward.ts concatPadded: NCHW maps side by side along channels, each zero-padded below and to the
    right to the largest height and width among them."""
    if len(maps) == 1:
        return maps[0]
    height, width = max(m.shape[2] for m in maps), max(m.shape[3] for m in maps)
    return torch.cat([nn.functional.pad(m, (0, width - m.shape[3], 0, height - m.shape[2])) for m in maps], 1)


def concatenated_shape(shapes):
    """runtime/cells/shapes.ts concatenatedShape: channels summed, the largest height and width."""
    return [sum(s[0] for s in shapes), max(s[1] for s in shapes), max(s[2] for s in shapes)]


class Cells(nn.ModuleDict):
    """spec.cells over [channels, height, width] maps (the stem's output or the input): a Features stack per cell, named
    cell<vertex>, and the head's, named head. Layers are numbered on from first_index (the stem's layer count), cells in the
    spec's order and then the head, as runtime/cells/store.ts numbers their initial-weight streams."""

    def __init__(self, cells, input_shape, activation, first_index):
        made, stacks, index = {}, {}, first_index
        for cell in cells["vertices"]:
            reads = concatenated_shape([made[u] for u in cell["inputs"]]) if cell["inputs"] else list(input_shape)
            stacks[f"cell{cell['vertex']}"] = Features(cell["layers"], reads, activation, index)
            index += len(cell["layers"])
            made[cell["vertex"]] = stacks[f"cell{cell['vertex']}"].shapes[-1]
        read = {u for cell in cells["vertices"] for u in cell["inputs"]}
        sinks = [made[cell["vertex"]] for cell in cells["vertices"] if cell["vertex"] not in read]
        stacks["head"] = Features(cells["head"], concatenated_shape(sinks), activation, index)
        super().__init__(stacks)
`;
