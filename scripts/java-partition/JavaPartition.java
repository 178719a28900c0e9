// Prints, for each key, the partition the Java client's producer picks for
// it: BuiltInPartitioner.partitionForKey, which KafkaProducer calls for every
// record that has a key and no partition (murmur2 of the key's bytes, made
// positive, modulo the partition count).
//
//   java -cp "$(scripts/kafka classpath)" scripts/java-partition/JavaPartition.java 3 qc-key-0 qc-key-1
//
// prints one line per key: "qc-key-0 2". Keys are encoded as UTF-8, as the
// Java client's StringSerializer does.
import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;

public class JavaPartition {
    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: JavaPartition <partitions> <key>...");
            System.exit(2);
        }
        int partitions = Integer.parseInt(args[0]);
        for (int i = 1; i < args.length; i++) {
            byte[] key = args[i].getBytes(StandardCharsets.UTF_8);
            System.out.println(args[i] + " " + BuiltInPartitioner.partitionForKey(key, partitions));
        }
    }
}
