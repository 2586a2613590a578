"""An independent reader of our Confluent-framed messages: Confluent's Python client with its Avro
deserializer, which resolves the writer schema from the registry by the id in each message.
Reads a topic from the beginning and prints one JSON object per message ({"offset", "id",
"value"}) until --count messages are read or --timeout seconds pass (then exits 1).
Run by test/e2e/schema-registry.test.ts with the venv from setup-venv.sh.
"""
import argparse
import json
import os
import sys
import time

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--brokers", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--registry", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--timeout", type=float, default=60)
    a = p.parse_args()

    deserialize = AvroDeserializer(SchemaRegistryClient({"url": a.registry}))
    consumer = Consumer({
        "bootstrap.servers": a.brokers,
        "group.id": f"ebpf-audit-independent-{os.getpid()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([a.topic])
    deadline = time.monotonic() + a.timeout
    read = 0
    try:
        while read < a.count and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                print(f"consumer error: {msg.error()}", file=sys.stderr)
                continue
            raw = msg.value()
            value = deserialize(raw, SerializationContext(a.topic, MessageField.VALUE))
            print(json.dumps({"offset": msg.offset(), "id": int.from_bytes(raw[1:5], "big"), "value": value}, default=str), flush=True)
            read += 1
    finally:
        consumer.close()
    if read < a.count:
        print(f"read {read} of {a.count} messages within {a.timeout} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
