// Cmp.java - the Maven oracle of tests/versions/diff_maven.py: reads lines
// "A<TAB>B" (UTF-8) on stdin and prints, per line, the sign of
// new ComparableVersion(A).compareTo(new ComparableVersion(B)) as -1, 0 or 1,
// or "invalid" when that throws. One JVM for every pair.
// usage: java -cp maven-artifact.jar Cmp.java < pairs
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class Cmp {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            int tab = line.indexOf('\t');
            String r;
            if (tab < 0) {
                r = "invalid";
            } else {
                try {
                    int c = new ComparableVersion(line.substring(0, tab))
                            .compareTo(new ComparableVersion(line.substring(tab + 1)));
                    r = c < 0 ? "-1" : c > 0 ? "1" : "0";
                } catch (RuntimeException e) {
                    r = "invalid";
                }
            }
            out.write(r);
            out.write('\n');
        }
        out.flush();
    }
}
