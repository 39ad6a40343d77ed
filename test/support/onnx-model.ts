// Writes a small but real ONNX classification model with onnx-proto: mean colour per channel
// (GlobalAveragePool) -> linear layer -> one logit per class. Red frames score class 0, green class 1,
// blue class 2; greyish frames are ambiguous (low confidence).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

function tensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dataType: onnx.TensorProto.DataType.FLOAT, dims, floatData: values };
}

function valueInfo(name: string, dims: Array<number | string>): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export function colourClassifierModel(classes: number, size = 32): Uint8Array {
  // W: [3, classes]: channel c votes for class c with weight 12; other classes get nothing.
  const weights: number[] = [];
  for (let c = 0; c < 3; c++) for (let k = 0; k < classes; k++) weights.push(c === k ? 12 : 0);
  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'suture-tests',
    graph: {
      name: 'colour-classifier',
      input: [valueInfo('x', [1, 3, size, size])],
      output: [valueInfo('logits', [1, classes])],
      initializer: [tensor('W', [3, classes], weights), tensor('b', [classes], new Array(classes).fill(0))],
      node: [
        { opType: 'GlobalAveragePool', input: ['x'], output: ['pooled'] },
        { opType: 'Flatten', input: ['pooled'], output: ['flat'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
        { opType: 'MatMul', input: ['flat', 'W'], output: ['scores'] },
        { opType: 'Add', input: ['scores', 'b'], output: ['logits'] },
      ],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
