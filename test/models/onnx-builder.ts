import protobuf from 'protobufjs';

/**
 * The handful of onnx.proto messages a linear model needs, as a protobufjs reflection definition,
 * so tests build real ONNX files without downloading anything. Field numbers are onnx.proto's.
 */
const ONNX_PROTO = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            producerName: { type: 'string', id: 2 },
            graph: { type: 'GraphProto', id: 7 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
            name: { type: 'string', id: 8 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: {
          fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } },
        },
        TypeProtoTensor: {
          fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
        },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
        Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
      },
    },
  },
};

const FLOAT = 1;
const root = protobuf.Root.fromJSON(ONNX_PROTO);
const Model = root.lookupType('onnx.ModelProto');

const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
const valueInfo = (name: string, shape: readonly (number | string)[]) => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map(dim) } } },
});

/**
 * `y = x · W + b` as an ONNX model: input `x` float [batch, n], output `y` float [batch, m], with
 * W given row by row (n rows of m values).
 */
export function linearOnnxModel(weights: readonly (readonly number[])[], bias: readonly number[]): Buffer {
  const n = weights.length;
  const m = bias.length;
  const message = Model.create({
    irVersion: 8,
    producerName: 'plumb-tests',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'linear',
      node: [
        { opType: 'MatMul', input: ['x', 'W'], output: ['xw'], name: 'matmul' },
        { opType: 'Add', input: ['xw', 'b'], output: ['y'], name: 'add' },
      ],
      initializer: [
        { name: 'W', dataType: FLOAT, dims: [n, m], floatData: weights.flat() },
        { name: 'b', dataType: FLOAT, dims: [m], floatData: [...bias] },
      ],
      input: [valueInfo('x', ['batch', n])],
      output: [valueInfo('y', ['batch', m])],
    },
  });
  return Buffer.from(Model.encode(message).finish());
}
