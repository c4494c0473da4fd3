#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

The seeds are small valid inputs, so that the fuzzers start from the real
formats instead of having to discover the frame layout or the body shapes.
Re-run after changing this script; the output is deterministic."""
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frame(serialize_type, header, body=b""):
    return (struct.pack(">iI", 4 + len(header) + len(body),
                        (serialize_type << 24) | len(header)) + header + body)


def binary_header(code, lang, version, opaque, flag, remark, ext):
    h = struct.pack(">hBhii", code, lang, version, opaque, flag)
    r = remark.encode() if remark else b""
    h += struct.pack(">i", len(r)) + r
    e = b""
    for k, v in ext:
        e += struct.pack(">h", len(k)) + k.encode() + struct.pack(">i", len(v)) + v.encode()
    return h + struct.pack(">i", len(e)) + e


# ---- fuzz_frame: byte streams ----

# protocol.md 1.4, JSON form (131-byte header).
JSON_GET_ROUTE = (b'{"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA",'
                  b'"opaque":7,"serializeTypeCurrentRPC":"JSON","version":409}')
assert len(JSON_GET_ROUTE) == 131
# protocol.md 1.4, ROCKETMQ binary form (41-byte header).
BIN_GET_ROUTE = binary_header(105, 0, 409, 7, 0, None, [("topic", "TopicTest")])
assert len(BIN_GET_ROUTE) == 41

write("fuzz_frame", "json_get_route.bin", frame(0, JSON_GET_ROUTE))
write("fuzz_frame", "binary_get_route.bin", frame(1, BIN_GET_ROUTE))
write("fuzz_frame", "two_frames.bin", frame(0, JSON_GET_ROUTE) + frame(1, BIN_GET_ROUTE))
# A response with a remark, a body, and extFields as the C++ client writes
# them (numbers and booleans instead of strings).
write("fuzz_frame", "json_response_body.bin",
      frame(0, b'{"code":17,"extFields":{"n":3,"b":true},"flag":1,"language":"CPP",'
               b'"opaque":8,"remark":"No topic route info","version":409}',
            b'{"topicList":["A"]}'))
write("fuzz_frame", "binary_response_body.bin",
      frame(1, binary_header(0, 1, 409, 9, 1, "ok", [("haServerAddr", "10.0.0.1:10912"),
                                                       ("masterAddr", "10.0.0.1:10911")]),
            b'{"table":{}}'))

# ---- fuzz_bodies: JSON (and compressed) bodies ----

BROKER_A = '{"brokerAddrs":{0:"192.168.1.10:10911",1:"192.168.1.11:10911"},' \
           '"brokerName":"broker-a","cluster":"DefaultCluster"}'
QUEUE_A = '{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,' \
          '"writeQueueNums":4}'
# protocol.md 5.2, legacy (bare keys) and standard forms.
write("fuzz_bodies", "route_legacy.json",
      '{"brokerDatas":[%s],"filterServerTable":{},"queueDatas":[%s]}' % (BROKER_A, QUEUE_A))
write("fuzz_bodies", "route_standard.json",
      '{"brokerDatas":[%s],"filterServerTable":{"192.168.1.10:10911":["10.0.0.9:30000"]},'
      '"orderTopicConf":"broker-a:4","queueDatas":[%s]}'
      % (BROKER_A.replace("{0:", '{"0":').replace(",1:", ',"1":'), QUEUE_A))
# protocol.md 5.4: cluster info with bare numeric brokerAddrs keys.
write("fuzz_bodies", "cluster_info.json",
      '{"brokerAddrTable":{"broker-a":%s},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}'
      % BROKER_A)

TOPICS = {
    "TopicTest": {"order": False, "perm": 6, "readQueueNums": 4, "topicFilterType": "SINGLE_TAG",
                  "topicName": "TopicTest", "topicSysFlag": 0, "writeQueueNums": 4},
    "TBW102": {"order": False, "perm": 7, "readQueueNums": 8, "topicFilterType": "SINGLE_TAG",
               "topicName": "TBW102", "topicSysFlag": 0, "writeQueueNums": 8},
}
DATA_VERSION = {"counter": 5, "timestamp": 1700000000000}
WRAPPER = {"dataVersion": DATA_VERSION, "topicConfigTable": TOPICS}
# protocol.md 5.8.
write("fuzz_bodies", "register_body.json",
      json.dumps({"filterServerList": [], "topicConfigSerializeWrapper": WRAPPER},
                 separators=(",", ":")))
write("fuzz_bodies", "wrapper.json", json.dumps(WRAPPER, separators=(",", ":")))
write("fuzz_bodies", "data_version.json", json.dumps(DATA_VERSION, separators=(",", ":")))
write("fuzz_bodies", "topic_list.json",
      '{"brokerAddr":"192.168.1.10:10911","topicList":["TopicTest","TBW102"]}')
write("fuzz_bodies", "kv_table.json", '{"table":{"TopicTest":"broker-a:4;broker-b:4"}}')
# The name server's kvConfig.json (protocol.md 7.6).
write("fuzz_bodies", "kv_config.json",
      '{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicTest":"broker-a:4;broker-b:4"}}}')
# fastjson object keys (a MessageQueue as a map key).
write("fuzz_bodies", "object_key.json",
      '{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:42}}')


def part(b):
    return struct.pack(">i", len(b)) + b


# RegisterBrokerBody.encode(true), protocol.md 4.14.
raw = part(json.dumps(DATA_VERSION, separators=(",", ":")).encode())
raw += struct.pack(">i", 2)
raw += part(b"TopicTest 4 4 6 SINGLE_TAG") + part(b"TBW102 8 8 7 MULTI_TAG")
raw += part(b'["10.0.0.9:30000"]')
write("fuzz_bodies", "register_compressed.bin", zlib.compress(raw, 9))
