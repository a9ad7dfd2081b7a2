// RTMP command and data messages (AMF0 type 20/18, AMF3 type 17/15) and the status objects SRS sends.
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import { decodeAmf0, encodeAmf0, type Amf0Object, type Amf0Value } from '../../kernel/format/amf0.js';
import { MessageType, type RtmpMessage } from './message.js';

/** Chunk stream ids SRS uses (srs_protocol_stack.hpp RTMP_CID_*). */
export const ChunkStreamId = {
  ProtocolControl: 2,
  OverConnection: 3,
  OverConnection2: 4,
  OverStream: 5,
  Video: 6,
  Audio: 7,
  OverStream2: 8,
} as const;

export interface CommandMessage {
  name: string;
  transactionId: number;
  /** Command object (connect's properties, null for most others). */
  commandObject: Amf0Value;
  args: Amf0Value[];
  streamId: number;
}

/** Decode a type 20 (AMF0) or 17 (AMF3 envelope around AMF0) command message. */
export function decodeCommand(msg: RtmpMessage): CommandMessage {
  let payload = msg.payload;
  if (msg.typeId === MessageType.CommandAmf3 || msg.typeId === MessageType.DataAmf3) {
    // AMF3 command messages start with a format byte (0), then AMF0 values (with 0x11 switches where needed).
    if (payload.length < 1) throw new ProtocolError(ErrorCode.RtmpAmf0Decode, 'empty AMF3 command');
    payload = payload.subarray(1);
  }
  const values = decodeAmf0(payload);
  const name = values[0];
  if (typeof name !== 'string') throw new ProtocolError(ErrorCode.RtmpAmf0Invalid, 'command name is not a string');
  const txn = values[1];
  return {
    name,
    transactionId: typeof txn === 'number' ? txn : 0,
    commandObject: values.length > 2 ? values[2] : null,
    args: values.slice(3),
    streamId: msg.streamId,
  };
}

/** Decode a data message (type 18, or 15 with its format byte) into its AMF0 values. */
export function decodeData(msg: RtmpMessage): Amf0Value[] {
  const payload = msg.typeId === MessageType.DataAmf3 ? msg.payload.subarray(1) : msg.payload;
  return decodeAmf0(payload);
}

export function commandMessage(
  streamId: number,
  chunkStreamId: number,
  name: string,
  transactionId: number,
  commandObject: Amf0Value,
  ...args: Amf0Value[]
): RtmpMessage {
  return {
    typeId: MessageType.CommandAmf0,
    streamId,
    timestamp: 0,
    chunkStreamId,
    payload: encodeAmf0(name, transactionId, commandObject, ...args),
  };
}

export function dataMessage(streamId: number, chunkStreamId: number, ...values: Amf0Value[]): RtmpMessage {
  return { typeId: MessageType.DataAmf0, streamId, timestamp: 0, chunkStreamId, payload: encodeAmf0(...values) };
}

export type StatusLevel = 'status' | 'error' | 'warning';

export function statusObject(level: StatusLevel, code: string, description: string, extra: Amf0Object = {}): Amf0Object {
  return { level, code, description, ...extra };
}

/** `onStatus(0, null, {level, code, description, ...})` on the stream's chunk stream. */
export function onStatus(streamId: number, level: StatusLevel, code: string, description: string, extra: Amf0Object = {}): RtmpMessage {
  return commandMessage(streamId, ChunkStreamId.OverStream, 'onStatus', 0, null, statusObject(level, code, description, extra));
}

export const StatusCode = {
  ConnectSuccess: 'NetConnection.Connect.Success',
  ConnectRejected: 'NetConnection.Connect.Rejected',
  PublishStart: 'NetStream.Publish.Start',
  PublishBadName: 'NetStream.Publish.BadName',
  PublishDenied: 'NetStream.Publish.Denied',
  UnpublishSuccess: 'NetStream.Unpublish.Success',
  PlayReset: 'NetStream.Play.Reset',
  PlayStart: 'NetStream.Play.Start',
  PlayStop: 'NetStream.Play.Stop',
  PlayStreamNotFound: 'NetStream.Play.StreamNotFound',
  PlayFailed: 'NetStream.Play.Failed',
  PlayPublishNotify: 'NetStream.Play.PublishNotify',
  PlayUnpublishNotify: 'NetStream.Play.UnpublishNotify',
  DataStart: 'NetStream.Data.Start',
  PauseNotify: 'NetStream.Pause.Notify',
  UnpauseNotify: 'NetStream.Unpause.Notify',
} as const;
