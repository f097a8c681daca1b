// A Java child of a probe (tests/probes.py child_java): one GET with the JDK's own HTTP client and
// default trust, printed as one JSON line. Run as `java Fetch.java URL` (single-file launch, JDK 11+).

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;

public class Fetch {
    public static void main(String[] args) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(args[0])).timeout(Duration.ofSeconds(10)).build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            System.out.println("{\"outcome\": \"trusted\", \"status\": " + response.statusCode()
                    + ", \"body\": \"" + response.body().replace("\"", "") + "\"}");
        } catch (SSLHandshakeException e) {
            String detail = String.valueOf(e.getMessage()).replace("\\", "/").replace("\"", "'");
            System.out.println("{\"outcome\": \"rejected\", \"detail\": \"" + detail + "\"}");
        }
    }
}
