import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readGraphml } from "../../src/elaborate/graphml.js";

const fixtures = join(import.meta.dirname, "..", "fixtures");

describe("the GraphML reader", () => {
  it("reads a file networkx wrote: its nodes, edges and direction (nx.watts_strogatz_graph(30, 4, 0.5, seed=1))", () => {
    const content = readGraphml(readFileSync(join(fixtures, "graphs", "networkx-ws30.graphml"), "utf8"));
    const reference = (JSON.parse(readFileSync(join(fixtures, "networkx", "graphs.json"), "utf8")) as Record<string, { args: number[]; seed: number; edges?: number[][] }[]>)[
      "watts_strogatz"
    ]!.find((r) => r.args.join() === "30,4,0.5" && r.seed === 1)!;
    expect(content.directed).toBe(false);
    expect(content.nodes).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    const edges = content.edges.map(([u, v]) => [Math.min(Number(u), Number(v)), Math.max(Number(u), Number(v))]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    expect(edges).toEqual(reference.edges);
  });

  it("takes comments, declarations, CDATA, data and entities in stride, and edges' own direction", () => {
    const text = `<?xml version="1.0"?><!DOCTYPE graphml><!-- a <comment> -->
<graphml><key id="d0" for="node" attr.name="x"/><graph edgedefault='undirected'>
  <node id="a&amp;b"><data key="d0"><![CDATA[<not a tag>]]></data></node><node id="&#99;"/>
  <edge source="a&amp;b" target="c" directed="true"/><edge source="c" target="a&amp;b" directed="true"/>
</graph></graphml>`;
    expect(readGraphml(text)).toEqual({
      nodes: ["a&b", "c"],
      edges: [
        ["a&b", "c"],
        ["c", "a&b"],
      ],
      directed: true,
    });
  });

  it.each([
    ['<graphml><graph edgedefault="undirected"><node id="a"/>\n<edge source="a" target="b"\n</graph></graphml>', "line 2, column 1: a '<' that does not start a well-formed tag"],
    ["<graphml><graph><node id='a'></graph></graphml>", "line 1, column 30: '</graph>' closes <node>"],
    ["<graphml><graph>", "<graph> is never closed"],
    ["<graphml/>", "it has no <graph> element"],
    ["<graphml><graph><node/></graph></graphml>", "a <node> without an id"],
    ['<graphml><graph><node id="a" id="b"/></graph></graphml>', "attribute 'id' is given twice"],
    ['<graphml><graph><node id="&nope;"/></graph></graphml>', "'&nope;' is not an entity"],
    [
      '<graphml><graph edgedefault="directed"><node id="a"/><node id="b"/><edge source="a" target="b"/><edge source="b" target="a" directed="false"/></graph></graphml>',
      "it mixes directed and undirected edges",
    ],
    ["<graphml><!-- open", "'<!--' is never closed by '-->'"],
  ])("refuses %j: %s", (text, message) => {
    expect(() => readGraphml(text)).toThrow(message);
  });
});
