"""The event backbone: CloudEvents contracts (a marshmallow schema per type), the topic
registry, the transactional outbox and its relay, the two transports (Kafka via kafka-python,
and the embedded SQL log), and the one consumer runner every worker uses."""
