#!/usr/bin/python3
"""Consumes COUNT messages from a RabbitMQ queue without acknowledging them and
holds them (messages_unacknowledged) until killed; the broker then requeues them.

usage: amqp_hold.py PORT USER VHOST QUEUE COUNT   (password in AMQP_PASSWORD)
Prints "held N PID" once it holds N messages.
"""
import os
import sys

import pika


def main():
    port, user, vhost, queue, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    params = pika.ConnectionParameters(
        host="127.0.0.1", port=int(port), virtual_host=vhost,
        credentials=pika.PlainCredentials(user, os.environ["AMQP_PASSWORD"]),
        blocked_connection_timeout=30, socket_timeout=10)
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    channel.basic_qos(prefetch_count=count)
    held = []

    def on_message(ch, method, properties, body):
        held.append(method.delivery_tag)
        if len(held) == count:
            print(f"held {count} {os.getpid()}", flush=True)

    channel.basic_consume(queue=queue, on_message_callback=on_message, auto_ack=False)
    # Bounded: a test that forgets to kill this process does not leave it behind.
    connection.call_later(120, channel.stop_consuming)
    channel.start_consuming()


if __name__ == "__main__":
    main()
