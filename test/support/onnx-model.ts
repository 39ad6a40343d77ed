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

function int64s(name: string, values: number[]): onnx.ITensorProto {
  return { name, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], int64Data: values };
}

function encode(name: string, graph: Omit<onnx.IGraphProto, 'name'>): Uint8Array {
  const model: onnx.IModelProto = { irVersion: 8, opsetImport: [{ domain: '', version: 13 }], producerName: 'suture-tests', graph: { name, ...graph } };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/**
 * A detector in the bbox pre-label convention: output [2, 6] rows of (x1, y1, x2, y2, score, classIndex) in the
 * 32 x 32 input's pixels. Row 0 is the box (2, 4)-(16, 28) of class 0 scored by the image's mean red; row 1
 * the box (20, 8)-(40, 24) of class 1 (past the input's right edge) scored by its mean green. The scores
 * come from the pixels, so a test proves inference ran on the image.
 */
export function colourDetectorModel(size = 32): Uint8Array {
  const rows = [
    [2, 4, 16, 28, 0, 0],
    [20, 8, 40, 24, 0, 1],
  ];
  // W: [3, 12]: red feeds row 0's score (index 4), green row 1's (index 10).
  const weights = new Array(3 * 12).fill(0);
  weights[0 * 12 + 4] = 1;
  weights[1 * 12 + 10] = 1;
  return encode('colour-detector', {
    input: [valueInfo('x', [1, 3, size, size])],
    output: [valueInfo('boxes', [2, 6])],
    initializer: [tensor('W', [3, 12], weights), tensor('b', [12], rows.flat()), int64s('shape', [2, 6])],
    node: [
      { opType: 'GlobalAveragePool', input: ['x'], output: ['pooled'] },
      { opType: 'Flatten', input: ['pooled'], output: ['flat'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
      { opType: 'MatMul', input: ['flat', 'W'], output: ['scores'] },
      { opType: 'Add', input: ['scores', 'b'], output: ['rows'] },
      { opType: 'Reshape', input: ['rows', 'shape'], output: ['boxes'] },
    ],
  });
}

/**
 * A segmenter in the mask pre-label convention: output [classes, H, W] probabilities at the model's
 * resolution (width x height input). Class 0 is the red channel, class 1 green, class 2 blue, any further
 * class zero: a pixel belongs to the classes whose channel is above half.
 */
export function channelSegmenterModel(classes: number, width = 20, height = 15): Uint8Array {
  if (classes < 3) throw new Error('the channel segmenter needs at least 3 classes');
  const planes = [valueInfo('x', [1, 3, height, width])];
  return encode('channel-segmenter', {
    input: planes,
    output: [valueInfo('probs', [classes, height, width])],
    initializer: [int64s('shape', [3, height, width]), ...(classes > 3 ? [tensor('zeros', [classes - 3, height, width], new Array((classes - 3) * height * width).fill(0))] : [])],
    node: [
      { opType: 'Reshape', input: ['x', 'shape'], output: classes > 3 ? ['rgb'] : ['probs'] },
      ...(classes > 3 ? [{ opType: 'Concat', input: ['rgb', 'zeros'], output: ['probs'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] }] : []),
    ],
  });
}
