// Public API of the media library. Every function takes its keys and limits as arguments; nothing here
// reads the environment. Errors are MediaError with a stable `code` and a PHI-free message.
//
// Validation and probing
//   validateAndProbe(path, opts)       sniff + validate + probe any asset, or throw one specific MediaError
//   detectFile(path) / sniff(bytes)    content type by magic bytes, checked against the extension
// DICOM
//   readDicom(bytes) / writeDicom(f)   byte-faithful Part 10 reader/writer (explicit/implicit/BE/deflate, UN sequences)
//   summarizeDicom(file)               technical probe (no patient attributes); groupStudies(items) → studies/series
//   decodeFrame(file, i)               uncompressed, RLE, JPEG baseline 8-bit, JPEG lossless, JPEG-LS, JPEG 2000
//   displaySupport(tsUID)              which transfer syntaxes display, and why not
//   renderFramePng(file, i, wl?)       PNG for the console; defaultWindow(), geometryOf()
//   deidentifyDicom(bytes, opts)       PS3.15 Basic Profile + options, UID remap, pseudonym, burned-in redaction
//   basicProfile                       Table E.1-1 as data
// NIfTI
//   probeNifti(path) / readNifti(path) NIfTI-1/2, .nii/.nii.gz, with a decompression limit
//   niftiSlicePng(volume, {z, t})      slice preview; deidentifyNifti(in, out)
// Video (ffmpeg/ffprobe, file to file)
//   probeVideo(path)                   codec, size, fps, VFR, frame count, duration, start offset
//   transcodeProxy(in, out, opts)      H.264 CFR faststart proxy (+ normalise, + redaction) and its frame index
//   frameIndexOf(path) / buildFrameIndex / frameAtTime / timeOfFrame   frame-exact time mapping
//   extractFrame, thumbnail, spriteStrip, trimFrames, trimTime, stripVideoMetadata, sampleFrames, sampleFramesAt, deidentifyVideo
// Images
//   probeImage(path) / deidentifyImage(in, out, opts)
// Text detection
//   createTextDetector(opts)           PP-OCRv4 det model via onnxruntime-node (session cached per process)
//   redactBoxes, mergeBoxes
// Any file
//   deidentifyFile(in, out, opts)      by kind; returns the report (what changed, never old values)
//   deriveDeidKeys(secret)             uid/patient/date-shift sub-keys from one project secret
// Ingest (S3; also '@suture/workflows/media/ingest' alone, for the API and the CLI)
//   quarantineKey, derivedKey, originalKey, workKey   the production key layout
//   partSizeFor, partRanges, uploadPartWithUrl         multipart plan and presigned part PUTs
//   downloadObject, uploadFile, IngestWorkspace        streamed + hashed download, resumable ingest checkpoints
export * from './errors.ts';
export * from './detect.ts';
export * from './probe.ts';
export { readDicom, writeDicom, walk, textOf, stringOf, TS, type DicomFile, type DicomDataset, type DicomElement } from './dicom/parse.ts';
export { formatTag, nameOf, parseTag, T as DicomTags } from './dicom/dictionary.ts';
export * from './dicom/pixels.ts';
export * from './dicom/series.ts';
export * from './dicom/profile.ts';
export * from './dicom/deid.ts';
export * from './deid/keys.ts';
export * from './deid/index.ts';
export * from './nifti.ts';
export * from './image.ts';
export * from './ocr.ts';
export * from './video.ts';
export * from './ingest.ts';
